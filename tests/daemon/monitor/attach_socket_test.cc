// The attach socket's address (daemon/monitor/attach_socket.h): a path longer than
// sun_path allows still works, through the directory's fd, and the socket is 0600.

#include "daemon/monitor/attach_socket.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <filesystem>

#include "tests/support/temp_dir.h"

namespace skiff::daemon {
namespace {

void expect_connects(const std::string& dir) {
  std::string path = attach_socket_path(dir);
  EXPECT_EQ(path, dir + "/attach");
  auto listener = listen_attach_socket(path);
  ASSERT_TRUE(listener) << listener.error().message();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  auto client = connect_attach_socket(path);
  ASSERT_TRUE(client) << client.error().message();
  EXPECT_EQ(::send(client->get(), "x", 1, MSG_NOSIGNAL), 1);
  // A second listen replaces a stale socket.
  listener->reset();
  auto again = listen_attach_socket(path);
  EXPECT_TRUE(again) << again.error().message();
}

TEST(AttachSocket, ShortAndLongPaths) {
  skiff::testing::TempDir tmp;
  expect_connects(tmp.path());
  std::string deep = tmp.path() + "/" + std::string(60, 'a') + "/" + std::string(60, 'b');
  std::filesystem::create_directories(deep);
  ASSERT_GT(deep.size() + 7, sizeof(sockaddr_un{}.sun_path));
  expect_connects(deep);
}

TEST(AttachSocket, NobodyListening) {
  skiff::testing::TempDir tmp;
  auto client = connect_attach_socket(attach_socket_path(tmp.path()));
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code(), ENOENT);
}

}  // namespace
}  // namespace skiff::daemon
