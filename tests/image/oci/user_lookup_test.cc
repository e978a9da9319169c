// passwd/group parsing and runc's user resolution rules, and reading both files inside a
// temp rootfs that tries to point them at host files.

#include "image/oci/user_lookup.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "common/unique_fd.h"
#include "tests/support/temp_dir.h"

namespace skiff::image {
namespace {

constexpr const char* kPasswd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "# a comment\n"
    "\n"
    "daemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n"
    "app:x:1000:1000:app:/home/app:/bin/sh\n"
    "broken:x:notanumber:0::/:/bin/sh\n"
    "short:x\n"
    "+nisuser::::::\n"
    "1234:x:2000:2000::/:/bin/sh\n"
    "app:x:1001:1001:duplicate:/:/bin/sh\n";

constexpr const char* kGroup =
    "root:x:0:root\n"
    "bin:x:1:root,daemon\n"
    "app:x:1000:\n"
    "staff:x:50:app, other\n"
    "wheel:x:10:other,app\n"
    "bad:x:-1:app\n"
    "1234:x:3000:\n";

TEST(ParsePasswd, SkipsWhatIsNotAnEntry) {
  auto entries = parse_passwd(kPasswd);
  ASSERT_EQ(entries.size(), 5u);
  EXPECT_EQ(entries[0].name, "root");
  EXPECT_EQ(entries[1].name, "daemon");
  EXPECT_EQ(entries[1].home, "/usr/sbin");
  EXPECT_EQ(entries[2].uid, 1000u);
  EXPECT_EQ(entries[2].gid, 1000u);
  EXPECT_EQ(entries[3].name, "1234");
  EXPECT_EQ(entries[4].uid, 1001u);  // duplicates are kept; the first one wins at lookup
  // A line with no home still parses; CRLF and trailing spaces are trimmed.
  auto crlf = parse_passwd("x:y:5:6\r\n");
  ASSERT_EQ(crlf.size(), 1u);
  EXPECT_EQ(crlf[0].gid, 6u);
  EXPECT_TRUE(crlf[0].home.empty());
  EXPECT_TRUE(parse_passwd("big:x:4294967296:0::/:/bin/sh\n").empty());
}

TEST(ParseGroup, MembersAndMalformedLines) {
  auto groups = parse_group(kGroup);
  ASSERT_EQ(groups.size(), 6u);
  EXPECT_EQ(groups[1].members, (std::vector<std::string>{"root", "daemon"}));
  EXPECT_TRUE(groups[2].members.empty());
  EXPECT_EQ(groups[3].members, (std::vector<std::string>{"app", "other"}));
  EXPECT_EQ(groups[5].name, "1234");
}

struct UserCase {
  const char* spec;
  uint32_t uid;
  uint32_t gid;
  std::vector<uint32_t> additional;
};

void PrintTo(const UserCase& c, std::ostream* os) {
  *os << '"' << c.spec << '"';
}

class ResolveUser : public ::testing::TestWithParam<UserCase> {};

TEST_P(ResolveUser, LikeRunc) {
  auto passwd = parse_passwd(kPasswd);
  auto group = parse_group(kGroup);
  auto u = resolve_user(GetParam().spec, &passwd, &group);
  ASSERT_TRUE(u.ok()) << u.error().message();
  EXPECT_EQ(u->uid, GetParam().uid);
  EXPECT_EQ(u->gid, GetParam().gid);
  EXPECT_EQ(u->additional_gids, GetParam().additional);
}

INSTANTIATE_TEST_SUITE_P(Cases, ResolveUser,
                         ::testing::Values(
                             // "" is uid 0, with root's passwd gid and root's groups (docker: id in alpine).
                             UserCase{"", 0, 0, {0, 1}}, UserCase{"root", 0, 0, {0, 1}},
                             // name: passwd uid/gid, groups listing the name.
                             UserCase{"app", 1000, 1000, {50, 10}}, UserCase{"daemon", 1, 1, {1}},
                             // uid in passwd: its gid and the groups of its name.
                             UserCase{"1000", 1000, 1000, {50, 10}},
                             // uid not in passwd: fine, gid 0.
                             UserCase{"4242", 4242, 0, {}},
                             // numeric is always a uid, even with a user named "1234".
                             UserCase{"1234", 1234, 0, {}},
                             // explicit group: no supplementary groups.
                             UserCase{"app:staff", 1000, 50, {}}, UserCase{"app:50", 1000, 50, {}},
                             UserCase{"app:777", 1000, 777, {}}, UserCase{"1000:staff", 1000, 50, {}},
                             UserCase{"4242:4343", 4242, 4343, {}}, UserCase{"4242:wheel", 4242, 10, {}},
                             // numeric group is always a gid, even with a group named "1234".
                             UserCase{"app:1234", 1000, 1234, {}}),
                         [](const auto& tp) { return "case" + std::to_string(tp.index); });

TEST(ResolveUser, Errors) {
  auto passwd = parse_passwd(kPasswd);
  auto group = parse_group(kGroup);
  auto msg = [&](const char* spec) {
    auto u = resolve_user(spec, &passwd, &group);
    return u.ok() ? std::string("ok") : u.error().message();
  };
  EXPECT_EQ(msg("bob"), "no such user in /etc/passwd");
  EXPECT_EQ(msg("broken"), "no such user in /etc/passwd");  // its line is malformed
  EXPECT_EQ(msg("app:nogroup"), "no such group \"nogroup\" in /etc/group");
  EXPECT_EQ(msg("app:"), "empty group after ':'");
  EXPECT_EQ(msg("2147483648"), "uid out of range");
  EXPECT_EQ(msg("app:99999999999"), "gid out of range");
}

TEST(ResolveUser, MissingFiles) {
  auto u = resolve_user("1000:1000", nullptr, nullptr);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->uid, 1000u);
  EXPECT_EQ(u->gid, 1000u);
  auto root = resolve_user("", nullptr, nullptr);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->uid, 0u);
  EXPECT_TRUE(root->additional_gids.empty());
  EXPECT_FALSE(resolve_user("app", nullptr, nullptr).ok());
  auto passwd = parse_passwd(kPasswd);
  EXPECT_FALSE(resolve_user("app:staff", &passwd, nullptr).ok());
  auto no_group_file = resolve_user("app", &passwd, nullptr);
  ASSERT_TRUE(no_group_file.ok());
  EXPECT_TRUE(no_group_file->additional_gids.empty());
}

class LookupUser : public ::testing::Test {
 protected:
  void SetUp() override {
    rootfs_ = tmp_.path() + "/rootfs";
    tmp_.mkdir("rootfs/etc");
    fd_ = common::UniqueFd(::open(rootfs_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(fd_.valid());
  }
  testing::TempDir tmp_;
  std::string rootfs_;
  common::UniqueFd fd_;
};

TEST_F(LookupUser, ReadsTheRootfsFiles) {
  tmp_.write("rootfs/etc/passwd", kPasswd);
  tmp_.write("rootfs/etc/group", kGroup);
  auto u = lookup_user(fd_.get(), "app");
  ASSERT_TRUE(u.ok()) << u.error().message();
  EXPECT_EQ(u->uid, 1000u);
  EXPECT_EQ(u->additional_gids, (std::vector<uint32_t>{50, 10}));
}

TEST_F(LookupUser, NoEtcAtAll) {
  std::filesystem::remove(rootfs_ + "/etc");
  auto u = lookup_user(fd_.get(), "");
  ASSERT_TRUE(u.ok()) << u.error().message();
  EXPECT_EQ(u->uid, 0u);
  EXPECT_FALSE(lookup_user(fd_.get(), "app").ok());
}

TEST_F(LookupUser, SymlinksResolveInsideTheRootfs) {
  // A "host" passwd outside the rootfs that a hostile image tries to read through
  // absolute and ../ symlinks (CVE-style: /etc/passwd -> /etc/shadow on the host).
  tmp_.write("host-passwd", "hostuser:x:4242:4242::/:/bin/sh\n");
  std::string host_file = tmp_.path() + "/host-passwd";
  std::filesystem::create_symlink(host_file, rootfs_ + "/etc/passwd");
  std::filesystem::create_symlink("../../host-passwd", rootfs_ + "/etc/group");
  auto u = lookup_user(fd_.get(), "hostuser");
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().message(), "no such user in /etc/passwd");

  // The same absolute link target, present inside the rootfs, is what gets read.
  tmp_.write("rootfs" + host_file, "imageuser:x:7:8::/:/bin/sh\n");
  auto inside = lookup_user(fd_.get(), "imageuser");
  ASSERT_TRUE(inside.ok()) << inside.error().message();
  EXPECT_EQ(inside->uid, 7u);
  EXPECT_EQ(inside->gid, 8u);
}

TEST_F(LookupUser, RefusesAFifoWithoutBlocking) {
  tmp_.write("rootfs/etc/passwd", kPasswd);
  ASSERT_EQ(::mkfifo((rootfs_ + "/etc/group").c_str(), 0644), 0);
  auto u = lookup_user(fd_.get(), "app");
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().message(), "/etc/group in the image rootfs is not a regular file");
}

}  // namespace
}  // namespace skiff::image
