// resolve_process: docker's merge of image config and overrides.

#include <fcntl.h>
#include <gtest/gtest.h>

#include <string>

#include "common/unique_fd.h"
#include "image/oci/image_config.h"
#include "tests/support/temp_dir.h"

namespace skiff::image {
namespace {

using Args = std::vector<std::string>;

class ResolveProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_.write("etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n");
    tmp_.write("etc/group", "root:x:0:\napp:x:1000:\nstaff:x:50:app\n");
    fd_ = common::UniqueFd(::open(tmp_.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(fd_.valid());
    image_.entrypoint = {"/bin/sh", "-c"};
    image_.cmd = {"echo hello"};
    image_.env = {"FOO=bar", "PATH=/custom/bin", "KEEP=1"};
    image_.working_dir = "/work";
    image_.user = "app";
  }
  common::Result<ResolvedProcess> resolve(const ProcessOverrides& o) {
    return resolve_process(image_, o, fd_.get());
  }

  testing::TempDir tmp_;
  common::UniqueFd fd_;
  ImageConfig image_;
};

TEST_F(ResolveProcess, ImageDefaults) {
  auto p = resolve({});
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->args, (Args{"/bin/sh", "-c", "echo hello"}));
  EXPECT_EQ(p->env, (Args{"FOO=bar", "PATH=/custom/bin", "KEEP=1"}));
  EXPECT_EQ(p->cwd, "/work");
  EXPECT_EQ(p->uid, 1000u);
  EXPECT_EQ(p->gid, 1000u);
  EXPECT_EQ(p->additional_gids, std::vector<uint32_t>{50});
}

TEST_F(ResolveProcess, EntrypointAndCmdCombinations) {
  struct Case {
    std::optional<Args> entrypoint;
    std::optional<Args> cmd;
    Args want;
  };
  const Case cases[] = {
      {std::nullopt, Args{"echo bye"}, {"/bin/sh", "-c", "echo bye"}},  // cmd replaces the image Cmd
      {Args{"/bin/env"}, std::nullopt, {"/bin/env"}},                   // entrypoint drops the image Cmd
      {Args{"/bin/echo"}, Args{"a", "b"}, {"/bin/echo", "a", "b"}},
      {Args{}, Args{"/bin/true"}, {"/bin/true"}},  // --entrypoint "" and a command
      {std::nullopt, Args{}, {"/bin/sh", "-c"}},   // an empty cmd still replaces
  };
  for (const Case& c : cases) {
    ProcessOverrides o;
    o.entrypoint = c.entrypoint;
    o.cmd = c.cmd;
    auto p = resolve(o);
    ASSERT_TRUE(p.ok()) << p.error().message();
    EXPECT_EQ(p->args, c.want);
  }
}

TEST_F(ResolveProcess, CmdOnlyImage) {
  image_.entrypoint.clear();
  auto p = resolve({});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->args, Args{"echo hello"});
  ProcessOverrides o;
  o.cmd = Args{"/bin/ls", "-l"};
  EXPECT_EQ(resolve(o)->args, (Args{"/bin/ls", "-l"}));
}

TEST_F(ResolveProcess, NothingToRun) {
  image_.entrypoint.clear();
  image_.cmd.clear();
  auto p = resolve({});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message(), "image has no Entrypoint or Cmd and none was given");
  ProcessOverrides o;
  o.entrypoint = Args{};
  image_.cmd = {"x"};
  ASSERT_FALSE(resolve(o).ok());  // --entrypoint "" drops the image's Cmd
}

TEST_F(ResolveProcess, EnvOverrides) {
  ProcessOverrides o;
  o.env = {"FOO=override", "NEW=1", "KEEP", "FOO=last"};
  auto p = resolve(o);
  ASSERT_TRUE(p.ok());
  // Same key replaced in place (the last override wins), new keys appended, bare "KEEP" unsets.
  EXPECT_EQ(p->env, (Args{"FOO=last", "PATH=/custom/bin", "NEW=1"}));
}

TEST_F(ResolveProcess, DefaultPath) {
  image_.env = {"FOO=bar"};
  auto p = resolve({});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->env, (Args{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "FOO=bar"}));
  ProcessOverrides o;
  o.env = {"PATH=/mine"};
  EXPECT_EQ(resolve(o)->env, (Args{"FOO=bar", "PATH=/mine"}));
  // Unsetting PATH brings the default back: the container still needs one.
  image_.env = {"PATH=/x"};
  o.env = {"PATH"};
  EXPECT_EQ(resolve(o)->env, (Args{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}));
}

TEST_F(ResolveProcess, WorkingDir) {
  ProcessOverrides o;
  o.working_dir = "/tmp";
  EXPECT_EQ(resolve(o)->cwd, "/tmp");
  image_.working_dir.clear();
  EXPECT_EQ(resolve({})->cwd, "/");
  o.working_dir = "rel";
  auto bad = resolve(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "working directory \"rel\": must be an absolute path");
  image_.working_dir = "rel";
  auto bad_image = resolve({});
  ASSERT_FALSE(bad_image.ok());
  EXPECT_EQ(bad_image.error().message(), "image config WorkingDir \"rel\": must be an absolute path");
}

TEST_F(ResolveProcess, UserForms) {
  struct Case {
    const char* user;
    uint32_t uid;
    uint32_t gid;
    std::vector<uint32_t> additional;
  };
  for (const Case& c :
       {Case{"", 0, 0, {}}, Case{"app", 1000, 1000, {50}}, Case{"1000", 1000, 1000, {50}},
        Case{"1000:50", 1000, 50, {}}, Case{"app:staff", 1000, 50, {}}, Case{"1000:staff", 1000, 50, {}},
        Case{"app:99", 1000, 99, {}}, Case{"5000", 5000, 0, {}}, Case{"5000:6000", 5000, 6000, {}}}) {
    ProcessOverrides o;
    o.user = c.user;
    auto p = resolve(o);
    ASSERT_TRUE(p.ok()) << c.user << ": " << p.error().message();
    EXPECT_EQ(p->uid, c.uid) << c.user;
    EXPECT_EQ(p->gid, c.gid) << c.user;
    EXPECT_EQ(p->additional_gids, c.additional) << c.user;
  }
}

TEST_F(ResolveProcess, UnknownUserNamesTheField) {
  image_.user = "bob";
  auto p = resolve({});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message(), "image config User \"bob\": no such user in /etc/passwd");
  ProcessOverrides o;
  o.user = "app:nogroup";
  auto q = resolve(o);
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().message(), "user \"app:nogroup\": no such group \"nogroup\" in /etc/group");
}

TEST_F(ResolveProcess, HostilePasswdSymlinkStaysInTheRootfs) {
  // /etc/passwd -> /etc/passwd of the host would name a host-only user; inside the rootfs
  // the link's target does not exist, so the name is unknown.
  std::filesystem::remove(tmp_.path() + "/etc/passwd");
  std::filesystem::create_symlink("/../../../../etc/shadow", tmp_.path() + "/etc/passwd");
  image_.user = "root";  // every host has it; this rootfs no longer does
  auto p = resolve({});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message(), "image config User \"root\": no such user in /etc/passwd");
}

}  // namespace
}  // namespace skiff::image
