// config.json parsing and the small translation tables of the runtime: every error names
// the JSON path of the bad field.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include <nlohmann/json.hpp>

#include "runtime/capabilities.h"
#include "runtime/container.h"
#include "runtime/default_spec.h"
#include "runtime/mount_options.h"
#include "runtime/namespaces.h"
#include "runtime/spec_parse.h"

namespace skiff::runtime {
namespace {

using nlohmann::json;

json valid() {
  json j = default_spec(false);
  j["process"]["terminal"] = false;
  return j;
}

std::string error_of(const json& j) {
  auto spec = parse_spec(j);
  return spec.ok() ? "<ok>" : spec.error().message();
}

TEST(SpecParse, TheDefaultSpecParses) {
  auto spec = parse_spec(valid());
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_EQ(spec->root.path, "rootfs");
  EXPECT_TRUE(spec->root.readonly);
  ASSERT_TRUE(spec->process);
  EXPECT_EQ(spec->process->args, std::vector<std::string>{"sh"});
  EXPECT_EQ(spec->process->rlimits.at(0).resource, RLIMIT_NOFILE);
  EXPECT_EQ(spec->mounts.size(), 7u);
  EXPECT_TRUE(spec->linux.has_namespace("network"));
  EXPECT_EQ(spec->linux.resources->devices->size(), 1u);
  EXPECT_EQ(spec->linux.masked_paths.size(), 10u);
}

TEST(SpecParse, ErrorsNameTheField) {
  struct Case {
    std::function<void(json&)> change;
    std::string error;
  };
  std::vector<Case> cases{
      {[](json& j) { j.erase("ociVersion"); }, "ociVersion: is required"},
      {[](json& j) { j.erase("root"); }, "root: is required"},
      {[](json& j) { j["process"]["args"] = json::array(); }, "process.args: must be a non-empty array"},
      {[](json& j) { j["process"]["args"] = "sh"; }, "process.args: expected an array, got string"},
      {[](json& j) { j["process"]["cwd"] = "tmp"; }, "process.cwd: \"tmp\" must be an absolute path"},
      {[](json& j) { j["process"]["user"].erase("uid"); }, "process.user.uid: is required"},
      {[](json& j) { j["process"]["env"] = {"NOEQUALS"}; },
       "process.env[0]: \"NOEQUALS\" is not of the form KEY=value"},
      {[](json& j) { j["process"]["rlimits"][0]["type"] = "RLIMIT_FOO"; },
       "process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\""},
      {[](json& j) { j["process"]["rlimits"][0]["soft"] = 2048; },
       "process.rlimits[0].soft: must not be greater than hard"},
      {[](json& j) { j["process"]["oomScoreAdj"] = 5000; },
       "process.oomScoreAdj: must be between -1000 and 1000"},
      {[](json& j) { j["mounts"][0].erase("destination"); }, "mounts[0].destination: is required"},
      {[](json& j) {
         j["linux"]["namespaces"].push_back({{"type", "pid"}});
       },
       "linux.namespaces[5].type: duplicate namespace \"pid\""},
      {[](json& j) { j["linux"]["namespaces"][0]["type"] = "pidns"; },
       "linux.namespaces[0].type: unknown namespace type \"pidns\""},
      {[](json& j) {
         j["linux"]["resources"]["memory"] = {{"limit", "1G"}};
       },
       "linux.resources.memory.limit: expected an integer, got string"},
      {[](json& j) { j["linux"]["rootfsPropagation"] = "sideways"; },
       "linux.rootfsPropagation: unknown propagation \"sideways\""},
      {[](json& j) {
         j["linux"]["devices"] = {{{"type", "x"}, {"path", "/dev/x"}}};
       },
       "linux.devices[0].type: invalid device type \"x\" (expected c, b, u or p)"},
      {[](json& j) {
         j["linux"]["namespaces"].push_back({{"type", "user"}});
       },
       "linux.uidMappings: a new user namespace needs uid mappings"},
      {[](json& j) {
         j["linux"]["sysctl"] = {{"kernel.panic", "1"}};
       },
       "linux.sysctl.kernel.panic: not in a separate kernel namespace, so a container may not set it"},
      {[](json& j) {
         j["hooks"] = {{"prestart", {{{"path", "relative"}}}}};
       },
       "hooks.prestart[0].path: \"relative\" must be an absolute path"},
      {[](json& j) {
         j["linux"]["seccomp"] = {{"syscalls", json::array()}};
       },
       "linux.seccomp.defaultAction: is required"},
  };
  for (auto& c : cases) {
    json j = valid();
    c.change(j);
    EXPECT_EQ(error_of(j), c.error);
  }
}

TEST(SpecParse, RelativeMountDestinationIsFromTheRoot) {
  json j = valid();
  j["mounts"].push_back({{"destination", "data"}, {"type", "tmpfs"}, {"source", "tmpfs"}});
  auto spec = parse_spec(j);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->mounts.back().destination, "/data");
}

TEST(SpecParse, ProcessForExec) {
  auto p = parse_process(json{{"args", {"ls"}}, {"cwd", "/"}, {"user", {{"uid", 5}, {"gid", 6}}}});
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->user.uid, 5u);
  EXPECT_EQ(parse_process(json{{"args", {"ls"}}, {"cwd", "/"}}).error().message(),
            "process.user: is required");
}

TEST(MountOptions, FlagsPropagationAndData) {
  auto f = parse_mount_options({"nosuid", "noexec", "nodev", "ro", "mode=755", "size=64k", "rslave"}, "m");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->flags, static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY));
  EXPECT_EQ(f->data, "mode=755,size=64k");
  EXPECT_EQ(f->propagation, std::vector<unsigned long>{MS_SLAVE | MS_REC});
  auto g = parse_mount_options({"rbind", "ro", "rw"}, "m");
  EXPECT_TRUE(g->bind && g->recursive);
  EXPECT_EQ(g->flags & MS_RDONLY, 0u);  // the later option wins
  EXPECT_NE(g->clear & MS_RDONLY, 0u);
  EXPECT_EQ(parse_mount_options({"ro", ""}, "mounts[1].options").error().message(),
            "mounts[1].options[1]: empty option");
}

TEST(MountOptions, RecursiveAttributesSymfollowAndIdmap) {
  auto f =
      parse_mount_options({"rbind", "rro", "rnosuid", "rnoatime", "rrelatime", "nosymfollow", "ridmap"}, "m");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->recursive_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_RELATIME);
  EXPECT_EQ(f->recursive_clear, MOUNT_ATTR__ATIME);  // the access-time field as a unit
  EXPECT_EQ(f->flags, static_cast<unsigned long>(MS_NOSYMFOLLOW));
  EXPECT_TRUE(f->idmap && f->idmap_recursive);
  EXPECT_TRUE(f->data.empty());
  auto g = parse_mount_options({"rro", "rrw"}, "m");
  EXPECT_EQ(g->recursive_set, 0u);
  EXPECT_EQ(g->recursive_clear, static_cast<uint64_t>(MOUNT_ATTR_RDONLY));
}

TEST(Signals, NamesNumbersAndRealtime) {
  EXPECT_EQ(*parse_signal("KILL"), SIGKILL);
  EXPECT_EQ(*parse_signal("sigterm"), SIGTERM);
  EXPECT_EQ(*parse_signal("9"), 9);
  EXPECT_EQ(*parse_signal("SIGRTMIN+2"), SIGRTMIN + 2);
  EXPECT_EQ(*parse_signal("RTMAX-1"), SIGRTMAX - 1);
  EXPECT_EQ(parse_signal("SIGFOO").error().message(), "unknown signal \"SIGFOO\"");
  EXPECT_EQ(parse_signal("0").error().message(), "invalid signal: 0");
}

TEST(Capabilities, NamesResolveAndErrorsNameTheSet) {
  EXPECT_EQ(*capability_from_name("CAP_NET_ADMIN"), 12);
  Capabilities caps;
  caps.bounding = {"CAP_KILL", "CAP_CHOWN"};
  caps.effective = {"CAP_KILL"};
  auto sets = resolve_capabilities(caps);
  ASSERT_TRUE(sets.ok());
  EXPECT_EQ(sets->bounding, (uint64_t{1} << 5) | 1u);
  EXPECT_EQ(sets->inheritable, 0u);
  caps.ambient = {"CAP_KILL", "CAP_FOO"};
  EXPECT_EQ(resolve_capabilities(caps).error().message(),
            "process.capabilities.ambient[1]: unknown capability \"CAP_FOO\"");
  auto names = all_capability_names();
  EXPECT_EQ(names.front(), "CAP_CHOWN");
}

TEST(Namespaces, IdMapsAndFlags) {
  EXPECT_EQ(format_id_mappings({{0, 1000, 1}, {1, 100000, 65536}}), "0 1000 1\n1 100000 65536\n");
  Linux linux;
  linux.namespaces = {{"pid", ""}, {"mount", ""}, {"time", ""}};
  auto plan = plan_namespaces(linux);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->clone_flags, static_cast<uint64_t>(CLONE_NEWPID | CLONE_NEWNS));
  EXPECT_TRUE(plan->new_time);  // the parent creates it, for children only
  linux.namespaces = {{"network", "/nonexistent/ns"}};
  EXPECT_EQ(plan_namespaces(linux).error().message(),
            "linux.namespaces[0].path: open /nonexistent/ns: no such file or directory");
}

TEST(Features, ListsWhatTheRuntimeSupports) {
  json f = features_json();
  EXPECT_EQ(f["ociVersionMax"], kOciVersion);
  EXPECT_EQ(f["linux"]["cgroup"]["v1"], true);
  EXPECT_FALSE(f["linux"]["capabilities"].empty());
  json rootless = default_spec(true);
  EXPECT_EQ(rootless["linux"]["namespaces"].back()["type"], "user");
  EXPECT_FALSE(rootless["linux"].contains("resources"));
}

}  // namespace
}  // namespace skiff::runtime
