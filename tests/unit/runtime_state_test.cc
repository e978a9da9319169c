#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "runtime/state.h"
#include "tests/support/temp_dir.h"

namespace skiff::runtime {
namespace {

TEST(ContainerId, AcceptsWhatRuncAccepts) {
  for (const char* id : {"a", "web-1", "my_container.v2", "A+B", "0123456789abcdef"})
    EXPECT_TRUE(validate_container_id(id)) << id;
}

TEST(ContainerId, RejectsWhatCouldEscapeTheRoot) {
  EXPECT_EQ(validate_container_id("../x").error().message(),
            "invalid container id \"../x\": only letters, digits, '_', '+', '-' and '.' are allowed");
  EXPECT_EQ(validate_container_id("..").error().message(),
            "invalid container id \"..\": \".\" and \"..\" are not ids");
  EXPECT_FALSE(validate_container_id(""));
  EXPECT_FALSE(validate_container_id("a/b"));
  EXPECT_FALSE(validate_container_id("a b"));
  EXPECT_FALSE(validate_container_id(std::string(1025, 'a')));
}

ContainerState sample(const std::string& id) {
  ContainerState s;
  s.oci_version = "1.2.1";
  s.id = id;
  s.bundle = "/b/" + id;
  s.rootfs = "/b/" + id + "/rootfs";
  s.pid = 4242;
  s.pid_start_time = 99;
  s.status = ContainerStatus::Created;
  s.created = "2026-11-24T22:40:00.000000001Z";
  s.cgroup_path = "skiff/" + id;
  s.annotations = {{"org.example/key", "value"}};
  return s;
}

TEST(StateStore, SavesLoadsListsAndRemoves) {
  testing::TempDir dir;
  StateStore store(dir.path() + "/root");
  EXPECT_TRUE(store.list_ids()->empty());  // no root yet: no containers
  ASSERT_TRUE(store.create_dir("b"));
  ASSERT_TRUE(store.create_dir("a"));
  ASSERT_TRUE(store.save(sample("a")));
  auto loaded = store.load("a");
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(loaded->bundle, "/b/a");
  EXPECT_EQ(loaded->pid_start_time, 99u);
  EXPECT_EQ(loaded->status, ContainerStatus::Created);
  EXPECT_EQ(loaded->annotations.at("org.example/key"), "value");
  EXPECT_EQ(*store.list_ids(), (std::vector<std::string>{"a", "b"}));
  struct stat st;
  ASSERT_EQ(::stat((dir.path() + "/root/a").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0711u);  // others may traverse (the init reaches exec.fifo), not list
  ASSERT_TRUE(store.remove("a"));
  EXPECT_EQ(store.load("a").error().message(), "container \"a\" does not exist");
}

TEST(StateStore, DuplicateAndUnsafeIdsAreRefused) {
  testing::TempDir dir;
  StateStore store(dir.path());
  ASSERT_TRUE(store.create_dir("x"));
  EXPECT_EQ(store.create_dir("x").error().message(), "container \"x\" already exists");
  EXPECT_FALSE(store.create_dir("../escape"));
  EXPECT_FALSE(store.load("../escape"));
  EXPECT_FALSE(store.remove(".."));
}

TEST(StateStore, DamagedStateIsAnErrorNamingTheFile) {
  testing::TempDir dir;
  StateStore store(dir.path());
  dir.write("x/state.json", "{\"id\": 3");
  EXPECT_EQ(store.load("x").error().message(),
            dir.path() + "/x/state.json: invalid container state: not JSON");
  dir.write("x/state.json", "{\"id\": \"x\"}");
  auto bad = store.load("x");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find(dir.path() + "/x/state.json: invalid container state"),
            std::string::npos);
}

TEST(LiveStatus, DeadOrRecycledInitReadsAsStopped) {
  ContainerState s = sample("x");
  s.status = ContainerStatus::Running;
  s.pid = ::getpid();
  s.pid_start_time = *process_start_time(::getpid());
  EXPECT_EQ(live_status(s), ContainerStatus::Running);
  s.pid_start_time += 1;  // same PID, another process
  EXPECT_EQ(live_status(s), ContainerStatus::Stopped);

  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  s.pid = child;
  EXPECT_EQ(live_status(s), ContainerStatus::Stopped);
}

TEST(LiveStatus, ParsesStatWithHostileCommNames) {
  testing::TempDir proc;
  std::string tail = " S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 777 20 21\n";
  proc.write("50/stat", "50 (evil) name (x)" + tail);
  EXPECT_EQ(*process_start_time(50, proc.path()), 777u);
  proc.write("51/stat", "51 (zombie) Z 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 777 20 21\n");
  EXPECT_EQ(process_start_time(51, proc.path()).error().code(), ESRCH);
}

TEST(OciState, HasRuncsShape) {
  ContainerState s = sample("x");
  auto j = oci_state_json(s, ContainerStatus::Stopped);
  EXPECT_EQ(j["status"], "stopped");
  EXPECT_EQ(j["pid"], 0);  // runc reports no pid for a stopped container
  EXPECT_EQ(j["bundle"], "/b/x");
  EXPECT_EQ(j["annotations"]["org.example/key"], "value");
  EXPECT_EQ(oci_state_json(s, ContainerStatus::Created)["pid"], 4242);
}

}  // namespace
}  // namespace skiff::runtime
