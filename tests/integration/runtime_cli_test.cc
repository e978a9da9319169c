// skiff-runtime driven as a user or podman would drive it: real namespaces, mounts and
// cgroups, a busybox bundle, runc's command line and messages.

#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "cgroups/layout.h"
#include "runtime/seccomp.h"
#include "runtime/terminal.h"
#include "runtime/unix_socket.h"
#include "tests/support/runtime_harness.h"

namespace skiff::testing {
namespace {

class RuntimeCli : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!can_run_containers(&why)) GTEST_SKIP() << why;
  }

  // No cgroup directory for `id` in any hierarchy.
  static bool cgroup_gone(const std::string& id) {
    auto layout = cgroups::detect_layout();
    for (const auto& mount : layout->v1_hierarchies())
      if (std::filesystem::exists(mount + "/skiff-runtime/" + id)) return false;
    return layout->unified.empty() || !std::filesystem::exists(layout->unified + "/skiff-runtime/" + id);
  }

  std::string state_json_field(const std::string& id, const std::string& field) {
    auto r = h.runtime({"state", id});
    if (r.exit_code != 0) return "<" + r.err + ">";
    auto j = nlohmann::json::parse(r.out);
    return j[field].is_string() ? j[field].get<std::string>() : j[field].dump();
  }

  RuntimeHarness h;
};

TEST_F(RuntimeCli, RunPrintsOutputReturnsExitCodeAndCleansUp) {
  h.set_args({"sh", "-c", "echo hello from $(hostname); exit 3"});
  h.write_config();
  auto r = h.runtime({"run", "r1"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.out, "hello from runc\n");
  EXPECT_TRUE(std::filesystem::is_empty(h.state_root()));
  EXPECT_TRUE(cgroup_gone("r1"));
}

TEST_F(RuntimeCli, LifecycleCreateStartStateKillDelete) {
  h.set_args({"sleep", "100"});
  h.write_config();
  std::string pid_file = h.dir().path() + "/pid";
  auto r = h.runtime({"create", "--pid-file", pid_file, "c1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(state_json_field("c1", "status"), "created");
  EXPECT_EQ(state_json_field("c1", "pid"), h.dir().read("pid"));
  EXPECT_EQ(state_json_field("c1", "bundle"), h.bundle());
  // The spec: deleting a container that is not stopped fails and changes nothing.
  r = h.runtime({"delete", "c1"});
  EXPECT_EQ(r.err, "cannot delete container \"c1\" that is not stopped: created\n");
  EXPECT_EQ(state_json_field("c1", "status"), "created");

  EXPECT_EQ(h.runtime({"start", "c1"}).exit_code, 0);
  EXPECT_EQ(state_json_field("c1", "status"), "running");
  r = h.runtime({"start", "c1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "cannot start an already running container\n");

  r = h.runtime({"delete", "c1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "cannot delete container \"c1\" that is not stopped: running\n");

  r = h.runtime({"kill", "c1", "SIGFOO"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "unknown signal \"SIGFOO\"\n");
  EXPECT_EQ(h.runtime({"kill", "c1", "KILL"}).exit_code, 0);
  for (int i = 0; i < 100 && state_json_field("c1", "status") != "stopped"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(state_json_field("c1", "status"), "stopped");
  r = h.runtime({"kill", "c1"});
  EXPECT_EQ(r.err, "container not running\n");

  EXPECT_EQ(h.runtime({"delete", "c1"}).exit_code, 0);
  r = h.runtime({"state", "c1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "container \"c1\" does not exist\n");
  EXPECT_TRUE(cgroup_gone("c1"));
}

// A create killed before it saved its state leaves a directory that holds the id. Create
// refuses the id while it is there; delete removes it (as runc's does), and with -f that
// is a success, so a caller that cleans up with `delete -f` can use the id again.
TEST_F(RuntimeCli, DeleteRemovesWhatAKilledCreateLeftBehind) {
  h.set_args({"true"});
  h.write_config();
  const std::string leftover = h.state_root() + "/half";
  std::filesystem::create_directories(leftover);
  std::ofstream(leftover + "/config.json") << "{}";
  auto r = h.runtime({"create", "half"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "container \"half\" already exists\n");
  r = h.runtime({"delete", "half"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "container \"half\" does not exist\n");
  EXPECT_FALSE(std::filesystem::exists(leftover));

  std::filesystem::create_directories(leftover);
  EXPECT_EQ(h.runtime({"delete", "-f", "half"}).exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(leftover));
  r = h.runtime({"delete", "-f", "half"});
  EXPECT_EQ(r.err, "container \"half\" does not exist\n");
  EXPECT_EQ(h.runtime({"run", "half"}).exit_code, 0);
  EXPECT_TRUE(std::filesystem::is_empty(h.state_root()));
}

// The spec makes process optional in config.json and required only to start: such a
// container is created (namespaces, mounts, cgroup), refuses `start`, and deletes cleanly.
TEST_F(RuntimeCli, ConfigWithoutProcessCreatesButDoesNotStart) {
  h.config().erase("process");
  h.write_config();
  auto r = h.runtime({"create", "np"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(state_json_field("np", "status"), "created");
  r = h.runtime({"start", "np"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "cannot start container \"np\": its config.json has no process\n");
  EXPECT_EQ(state_json_field("np", "status"), "created");
  EXPECT_EQ(h.runtime({"delete", "-f", "np"}).exit_code, 0);
  EXPECT_TRUE(cgroup_gone("np"));
  EXPECT_FALSE(std::filesystem::exists(h.state_root() + "/np"));
}

// A tmpfs mounted on a host directory for one test, detached again even if it fails.
struct ScopedTmpfs {
  explicit ScopedTmpfs(const std::string& target) : path(target) {
    std::filesystem::create_directories(path);
    mounted = ::mount("tmpfs", path.c_str(), "tmpfs", 0, "size=1m") == 0;
  }
  ~ScopedTmpfs() {
    if (mounted) ::umount2(path.c_str(), MNT_DETACH);
  }
  ScopedTmpfs(const ScopedTmpfs&) = delete;
  ScopedTmpfs& operator=(const ScopedTmpfs&) = delete;
  std::string path;
  bool mounted = false;
};

// rro reaches mounts below a bind (plain ro does not); tmpcopyup fills a tmpfs with what
// the image had in the directory it covers, and writes stay in the tmpfs.
TEST_F(RuntimeCli, RecursiveMountAttributesAndTmpcopyup) {
  std::string src = h.dir().path() + "/src";
  ScopedTmpfs inner(src + "/inner");
  ASSERT_TRUE(inner.mounted);
  std::filesystem::create_directories(h.rootfs() + "/data/sub");
  h.dir().write("bundle/rootfs/data/sub/seed.txt", "seed\n");
  h.config()["mounts"].push_back({{"destination", "/mnt/r"},
                                  {"type", "bind"},
                                  {"source", src},
                                  {"options", {"rbind", "rro", "rnosuid"}}});
  h.config()["mounts"].push_back({{"destination", "/data"},
                                  {"type", "tmpfs"},
                                  {"source", "tmpfs"},
                                  {"options", {"tmpcopyup", "mode=755"}}});
  h.set_args({"sh", "-c",
              "touch /mnt/r/inner/x 2>/dev/null || echo inner-read-only; "
              "grep -c ' /mnt/r/inner .*ro,nosuid' /proc/self/mountinfo; "
              "cat /data/sub/seed.txt; echo w > /data/new && cat /data/new"});
  h.write_config();
  auto r = h.runtime({"run", "m1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "inner-read-only\n1\nseed\nw\n");
  EXPECT_FALSE(std::filesystem::exists(h.rootfs() + "/data/new"));
  EXPECT_FALSE(std::filesystem::exists(src + "/inner/x"));
}

// idmap: the bind shows host files through the mount's own mapping (host 0 → 1000 here),
// without changing them on disk; the same mount without the mapping is refused clearly.
TEST_F(RuntimeCli, IdmappedBindMount) {
  std::string src = h.dir().path() + "/idsrc";
  std::filesystem::create_directories(src);
  h.dir().write("idsrc/owned-by-root", "x");
  nlohmann::json mapping = {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}};
  h.config()["mounts"].push_back({{"destination", "/mnt/id"},
                                  {"type", "bind"},
                                  {"source", src},
                                  {"options", {"bind", "idmap"}},
                                  {"uidMappings", mapping},
                                  {"gidMappings", mapping}});
  h.set_args({"stat", "-c", "%u:%g", "/mnt/id/owned-by-root"});
  h.write_config();
  auto r = h.runtime({"run", "id1"});
  if (r.err.find("does not support idmapped mounts") != std::string::npos) GTEST_SKIP() << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1000:1000\n");
  struct stat st {};
  ASSERT_EQ(::stat((src + "/owned-by-root").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);

  h.config()["mounts"].back().erase("uidMappings");
  h.config()["mounts"].back().erase("gidMappings");
  h.write_config();
  r = h.runtime({"run", "id2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("idmap needs uidMappings and gidMappings, or a user namespace"), std::string::npos)
      << r.err;
  EXPECT_TRUE(cgroup_gone("id2"));
}

// A user namespace: root inside is 100000 outside. A plain bind of a host directory shows
// its root-owned files as the overflow id; an idmapped bind with the container's own
// mapping shows them as root.
TEST_F(RuntimeCli, UserNamespaceAndIdmapWithTheContainersMapping) {
  std::string src = h.dir().path() + "/idsrc";
  std::filesystem::create_directories(src);
  h.dir().write("idsrc/f", "x");
  // The mapped root (100000 on the host) must be able to reach the bundle, as with runc.
  std::filesystem::permissions(h.dir().path(), std::filesystem::perms(0711));
  ASSERT_EQ(run_command({"/bin/chown", "-R", "100000:100000", h.rootfs()}).exit_code, 0);
  nlohmann::json mapping = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  h.config()["linux"]["namespaces"].push_back({{"type", "user"}});
  h.config()["linux"]["uidMappings"] = mapping;
  h.config()["linux"]["gidMappings"] = mapping;
  h.config()["mounts"].push_back(
      {{"destination", "/mnt/plain"}, {"type", "bind"}, {"source", src}, {"options", {"bind"}}});
  h.config()["mounts"].push_back(
      {{"destination", "/mnt/id"}, {"type", "bind"}, {"source", src}, {"options", {"bind", "idmap"}}});
  h.set_args({"sh", "-c", "id -u; cat /proc/self/uid_map; stat -c %u /mnt/plain/f /mnt/id/f"});
  h.write_config();
  auto r = h.runtime({"run", "u1"});
  if (r.err.find("does not support idmapped mounts") != std::string::npos) GTEST_SKIP() << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, 2), "0\n") << r.out;
  EXPECT_NE(r.out.find("100000"), std::string::npos) << r.out;
  EXPECT_TRUE(r.out.ends_with("65534\n0\n")) << r.out;
  EXPECT_TRUE(cgroup_gone("u1"));
}

// In the foreground without --console-socket the runtime relays the pty itself (runc's
// behaviour): what the user types reaches the shell, its output comes back through the
// terminal (CRLF line ends), and the exit code passes through; the same for exec -t.
TEST_F(RuntimeCli, ForegroundTerminalIsRelayedWithoutAConsoleSocket) {
  h.config()["process"]["terminal"] = true;
  h.set_args({"sh"});
  h.write_config();
  auto r = h.runtime({"run", "pty1"}, "tty\necho typed-$((1+2))\nexit 5\n");
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.out.find("/dev/pts/0\r\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("typed-3\r\n"), std::string::npos) << r.out;

  h.config()["process"]["terminal"] = false;
  h.set_args({"sleep", "100"});
  h.write_config();
  ASSERT_EQ(h.runtime({"run", "-d", "pty2"}).exit_code, 0);
  r = h.runtime({"exec", "-t", "pty2", "sh"}, "tty\nexit 7\n");
  EXPECT_EQ(r.exit_code, 7) << r.err;
  EXPECT_NE(r.out.find("/dev/pts/"), std::string::npos) << r.out;
  h.config()["process"]["terminal"] = true;
  h.write_config();
  r = h.runtime({"run", "-d", "pty3"});  // detached, a terminal still needs a socket
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--console-socket"), std::string::npos) << r.err;
  EXPECT_EQ(h.runtime({"delete", "-f", "pty2"}).exit_code, 0);
}

// Rootless, as runc does it: an unprivileged user (nobody) with a user namespace that maps
// only its own uid. Without write access to the cgroup tree the container runs without a
// cgroup of its own; exec, ps, kill and delete still work, and asking for limits is an
// error that says why.
TEST_F(RuntimeCli, RootlessAsAnUnprivilegedUser) {
  const std::string setpriv = "/usr/bin/setpriv";
  if (!std::filesystem::exists(setpriv)) GTEST_SKIP() << "no " << setpriv;
  const std::string dir = h.dir().path();
  std::filesystem::permissions(dir, std::filesystem::perms(0711));
  // The user runs its own copy of the binary, and owns the bundle and the state root.
  std::string binary = dir + "/skiff-runtime";
  std::filesystem::copy_file(h.binary, binary);
  ASSERT_EQ(h.runtime({"spec", "--rootless", "--bundle", dir}).exit_code, 0);
  h.config() = nlohmann::json::parse(h.dir().read("config.json"));
  nlohmann::json mapping = {{{"containerID", 0}, {"hostID", 65534}, {"size", 1}}};
  h.config()["linux"]["uidMappings"] = mapping;
  h.config()["linux"]["gidMappings"] = mapping;
  h.config()["process"]["terminal"] = false;
  h.set_args({"sleep", "100"});
  h.write_config();
  std::string root = dir + "/rootless-state";
  std::filesystem::create_directories(root);
  ASSERT_EQ(run_command({"/bin/chown", "-R", "65534:65534", h.bundle(), root}).exit_code, 0);
  auto as_nobody = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {
        setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", binary, "--root", root};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
  };

  auto r = as_nobody({"run", "-d", "--bundle", h.bundle(), "rl1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = as_nobody({"exec", "rl1", "sh", "-c", "id -u; cat /proc/self/uid_map"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("0\n")) << r.out;
  EXPECT_NE(r.out.find("65534"), std::string::npos) << r.out;
  r = as_nobody({"ps", "-f", "json", "rl1"});
  EXPECT_EQ(nlohmann::json::parse(r.out).size(), 1u) << r.out << r.err;
  r = as_nobody({"pause", "rl1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("has no cgroup"), std::string::npos) << r.err;
  EXPECT_EQ(as_nobody({"delete", "-f", "rl1"}).exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(root + "/rl1"));

  h.config()["linux"]["resources"] = {{"memory", {{"limit", 64 << 20}}}};
  h.write_config();
  r = as_nobody({"run", "--bundle", h.bundle(), "rl2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("linux.cgroupsPath: create cgroup"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("permission denied"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(root + "/rl2"));
}

TEST_F(RuntimeCli, ListAndPsShowTheContainer) {
  h.set_args({"sleep", "100"});
  h.write_config();
  ASSERT_EQ(h.runtime({"run", "-d", "l1"}).exit_code, 0);
  auto r = h.runtime({"list"});
  EXPECT_TRUE(r.out.starts_with("ID")) << r.out;
  EXPECT_NE(r.out.find("l1"), std::string::npos);
  EXPECT_NE(r.out.find("running"), std::string::npos);
  auto list = nlohmann::json::parse(h.runtime({"list", "-f", "json"}).out);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["id"], "l1");
  auto pids = nlohmann::json::parse(h.runtime({"ps", "-f", "json", "l1"}).out);
  ASSERT_EQ(pids.size(), 1u);
  EXPECT_EQ(pids[0].dump(), state_json_field("l1", "pid"));
  EXPECT_EQ(h.runtime({"delete", "-f", "l1"}).exit_code, 0);
  EXPECT_TRUE(cgroup_gone("l1"));
}

TEST_F(RuntimeCli, BadInputIsRefusedAndLeavesNothing) {
  h.set_args({});
  h.write_config();
  auto r = h.runtime({"create", "bad1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, h.bundle() + "/config.json: process.args: must be a non-empty array\n");
  EXPECT_TRUE(!std::filesystem::exists(h.state_root()) || std::filesystem::is_empty(h.state_root()));
  EXPECT_TRUE(cgroup_gone("bad1"));

  h.set_args({"true"});
  h.write_config();
  r = h.runtime({"create", "../x"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("invalid container id"), std::string::npos) << r.err;

  r = h.runtime({"create", "--bundle", "/nonexistent-bundle", "b2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("/nonexistent-bundle/config.json"), std::string::npos) << r.err;

  h.set_args({"/no/such/program"});
  h.write_config();
  r = h.runtime({"create", "b3"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("/no/such/program"), std::string::npos) << r.err;
  EXPECT_TRUE(cgroup_gone("b3"));
  EXPECT_FALSE(std::filesystem::exists(h.state_root() + "/b3"));

  h.set_args({"sleep", "10"});
  h.write_config();
  ASSERT_EQ(h.runtime({"create", "dup"}).exit_code, 0);
  r = h.runtime({"create", "dup"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "container \"dup\" already exists\n");
  EXPECT_EQ(state_json_field("dup", "status"), "created");  // the first one is untouched
}

TEST_F(RuntimeCli, ContainerGetsItsOwnRootHostnameAndReadOnlyPaths) {
  h.config()["hostname"] = "box";
  h.set_args({"sh", "-c",
              "hostname; echo $$; touch /x 2>/dev/null && echo rootfs-writable; "
              "echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null && echo sys-writable; "
              "wc -c < /proc/keys; ls /dev"});
  h.write_config();
  auto r = h.runtime({"run", "n1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find("\n", 4) + 1), "box\n1\n");
  EXPECT_EQ(r.out.find("writable"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n0\n"), std::string::npos) << r.out;  // /proc/keys is masked
  for (const char* dev :
       {"null", "zero", "full", "random", "urandom", "tty", "pts", "shm", "ptmx", "fd", "stdin"})
    EXPECT_NE(r.out.find(dev), std::string::npos) << dev << " missing from /dev: " << r.out;
}

// Docker's default profile through the whole runtime: installed right before execve when
// noNewPrivileges is set, earlier (while still privileged) when it is not, and for exec.
TEST_F(RuntimeCli, DefaultSeccompProfileAllowsWorkAndRefusesUnshare) {
  h.config()["linux"]["seccomp"] = runtime::seccomp_to_json(runtime::default_seccomp_profile());
  // busybox unshare -U is refused by the profile (EPERM), echo works.
  const std::string script = "echo works; busybox unshare -U true 2>/dev/null || echo unshare-refused";
  for (bool no_new_privs : {true, false}) {
    h.config()["process"]["noNewPrivileges"] = no_new_privs;
    h.set_args({"sh", "-c", script});
    h.write_config();
    auto r = h.runtime({"run", "sc1"});
    EXPECT_EQ(r.exit_code, 0) << "noNewPrivileges " << no_new_privs << ": " << r.err;
    EXPECT_EQ(r.out, "works\nunshare-refused\n") << "noNewPrivileges " << no_new_privs;
  }
  h.set_args({"sleep", "100"});
  h.write_config();
  ASSERT_EQ(h.runtime({"run", "-d", "sc2"}).exit_code, 0);
  auto r = h.runtime({"exec", "sc2", "sh", "-c", script});
  EXPECT_EQ(r.out, "works\nunshare-refused\n") << r.err;
  EXPECT_EQ(h.runtime({"delete", "-f", "sc2"}).exit_code, 0);
}

TEST_F(RuntimeCli, ProcessUserCwdEnvAndCapabilities) {
  h.config()["process"]["user"] = {{"uid", 1000}, {"gid", 1000}, {"additionalGids", {2000}}};
  h.config()["process"]["cwd"] = "/tmp";
  h.config()["process"]["env"].push_back("GREETING=hi");
  h.set_args({"sh", "-c", "id; pwd; echo $GREETING; grep -E '^Cap(Inh|Bnd|Eff)' /proc/self/status"});
  h.write_config();
  auto r = h.runtime({"run", "u1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("uid=1000 gid=1000 groups=2000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/tmp\nhi\n"), std::string::npos) << r.out;
  // CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE; nothing inheritable.
  EXPECT_NE(r.out.find("CapInh:\t0000000000000000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CapBnd:\t0000000020000420"), std::string::npos) << r.out;
}

TEST_F(RuntimeCli, ExecJoinsTheContainer) {
  h.config()["hostname"] = "inside";
  h.set_args({"sleep", "100"});
  h.write_config();
  ASSERT_EQ(h.runtime({"run", "-d", "e1"}).exit_code, 0);
  auto r = h.runtime({"exec", "e1", "sh", "-c", "hostname; cat /proc/1/cmdline; echo; exit 7"});
  EXPECT_EQ(r.exit_code, 7) << r.err;
  EXPECT_EQ(r.out, std::string("inside\nsleep") + '\0' + "100" + '\0' + "\n");
  r = h.runtime(
      {"exec", "--user", "1000:1000", "--cwd", "/tmp", "-e", "A=b", "e1", "sh", "-c", "id -u; pwd; echo $A"});
  EXPECT_EQ(r.out, "1000\n/tmp\nb\n") << r.err;
  r = h.runtime({"exec", "e1", "grep", "CapInh", "/proc/self/status"});
  EXPECT_EQ(r.out, "CapInh:\t0000000000000000\n");  // CVE-2022-29162
  std::string process_file = h.dir().path() + "/process.json";
  std::ofstream(process_file)
      << R"({"args":["echo","from process.json"],"cwd":"/","user":{"uid":0,"gid":0}})";
  r = h.runtime({"exec", "--process", process_file, "e1"});
  EXPECT_EQ(r.out, "from process.json\n") << r.err;
  EXPECT_EQ(h.runtime({"delete", "-f", "e1"}).exit_code, 0);
  r = h.runtime({"exec", "e1", "true"});
  EXPECT_EQ(r.err, "container \"e1\" does not exist\n");
}

// The init and exec'd processes join the container's cgroup in every hierarchy (they move
// themselves into the v1 ones), and a cgroup namespace is rooted at that cgroup on v1 and
// hybrid hosts too, not at the runtime's own cgroup.
TEST_F(RuntimeCli, ProcessesJoinEveryHierarchyAndTheCgroupNamespaceIsRootedThere) {
  h.config()["linux"]["namespaces"].push_back({{"type", "cgroup"}});
  h.set_args({"sleep", "100"});
  h.write_config();
  std::string pid_file = h.dir().path() + "/pid";
  ASSERT_EQ(h.runtime({"run", "-d", "--pid-file", pid_file, "cg1"}).exit_code, 0);
  std::ifstream pid_in(pid_file);
  std::string pid;
  pid_in >> pid;
  auto host_view = [](const std::string& p) {
    std::ifstream in("/proc/" + p + "/cgroup");
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  };
  auto in_container_cgroup = [&](const std::string& p) {
    auto lines = host_view(p);
    ASSERT_FALSE(lines.empty());
    for (const auto& line : lines) {
      if (line.find(":name=") != std::string::npos) continue;  // named hierarchies are not ours
      EXPECT_NE(line.find("/skiff-runtime/cg1"), std::string::npos) << line;
    }
  };
  in_container_cgroup(pid);
  std::string exec_pid_file = h.dir().path() + "/exec-pid";
  ASSERT_EQ(h.runtime({"exec", "-d", "--pid-file", exec_pid_file, "cg1", "sleep", "100"}).exit_code, 0);
  std::ifstream exec_pid_in(exec_pid_file);
  std::string exec_pid;
  exec_pid_in >> exec_pid;
  in_container_cgroup(exec_pid);
  // Inside: every hierarchy's path is "/".
  auto r = h.runtime({"exec", "cg1", "sh", "-c", "cut -d: -f3 /proc/self/cgroup | sort -u"});
  EXPECT_EQ(r.out, "/\n") << r.err;
  EXPECT_EQ(h.runtime({"delete", "-f", "cg1"}).exit_code, 0);
  EXPECT_TRUE(cgroup_gone("cg1"));
}

TEST_F(RuntimeCli, PauseResumeAndUpdate) {
  h.config()["linux"]["resources"]["memory"] = {{"limit", 64 * 1024 * 1024}};
  h.config()["linux"]["resources"]["pids"] = {{"limit", 32}};
  h.set_args({"sleep", "100"});
  h.write_config();
  ASSERT_EQ(h.runtime({"run", "-d", "p1"}).exit_code, 0);
  auto layout = cgroups::detect_layout();
  std::string memory_file = layout->mode == cgroups::Mode::V2
                                ? layout->unified + "/skiff-runtime/p1/memory.max"
                                : layout->v1_mounts.at("memory") + "/skiff-runtime/p1/memory.limit_in_bytes";
  TempDir unused;
  auto read = [](const std::string& path) {
    std::ifstream in(path);
    std::string s;
    in >> s;
    return s;
  };
  EXPECT_EQ(read(memory_file), "67108864");
  EXPECT_EQ(h.runtime({"pause", "p1"}).exit_code, 0);
  EXPECT_EQ(state_json_field("p1", "status"), "paused");
  EXPECT_EQ(h.runtime({"resume", "p1"}).exit_code, 0);
  EXPECT_EQ(state_json_field("p1", "status"), "running");
  auto r = h.runtime({"update", "--memory", "128m", "p1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read(memory_file), "134217728");
  r = h.runtime({"update", "-r", "-", "p1"}, R"({"memory":{"limit":"big"}})");
  EXPECT_EQ(r.err, "stdin.memory.limit: expected an integer, got string\n");
  EXPECT_EQ(read(memory_file), "134217728");
  auto stats = nlohmann::json::parse(h.runtime({"events", "--stats", "p1"}).out);
  EXPECT_EQ(stats["type"], "stats");
  EXPECT_GT(stats["data"]["memory"]["usage"]["usage"].get<uint64_t>(), 0u);
}

TEST_F(RuntimeCli, HooksSeeTheStateAndAFailingHookUnwinds) {
  std::string log = h.dir().path() + "/hooks.log";
  auto hook = [&](const std::string& name) {
    return nlohmann::json{{"path", "/bin/sh"},
                          {"args", {"sh", "-c", "cat >> " + log + "; echo ' " + name + "' >> " + log}}};
  };
  h.config()["hooks"] = {{"createRuntime", {hook("createRuntime")}},
                         {"poststart", {hook("poststart")}},
                         {"poststop", {hook("poststop")}}};
  h.set_args({"true"});
  h.write_config();
  auto r = h.runtime({"run", "k1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string text = h.dir().read("hooks.log");
  EXPECT_NE(text.find("\"id\":\"k1\""), std::string::npos) << text;
  auto created = text.find("createRuntime"), started = text.find("poststart"),
       stopped = text.find("poststop");
  EXPECT_TRUE(created < started && started < stopped) << text;

  // poststart and poststop: a failing hook is a warning; the ones after it still run.
  std::filesystem::remove(log);
  nlohmann::json failing = {{"path", "/bin/false"}};
  h.config()["hooks"] = {{"poststart", {failing, hook("poststart")}},
                         {"poststop", {failing, hook("poststop")}}};
  h.write_config();
  r = h.runtime({"run", "k4"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  text = h.dir().read("hooks.log");
  EXPECT_NE(text.find("} poststart\n"), std::string::npos) << text;
  EXPECT_NE(text.find("} poststop\n"), std::string::npos) << text;

  h.config()["hooks"] = {{"createRuntime", {{{"path", "/bin/false"}}}}};
  h.write_config();
  r = h.runtime({"create", "k2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "hooks.createRuntime[0] /bin/false exited with status 1\n");
  EXPECT_FALSE(std::filesystem::exists(h.state_root() + "/k2"));
  EXPECT_TRUE(cgroup_gone("k2"));

  h.config()["hooks"] = {{"prestart", {{{"path", "/bin/sleep"}, {"args", {"sleep", "10"}}, {"timeout", 1}}}}};
  h.write_config();
  r = h.runtime({"create", "k3"});
  EXPECT_EQ(r.err, "hooks.prestart[0] /bin/sleep: timed out after 1s\n");
  EXPECT_TRUE(cgroup_gone("k3"));
}

// A seccomp agent for SCMP_ACT_NOTIFY: accepts listener fds on a unix socket (the
// runtime sends one per filter, with the container's state) and answers every
// notification with EACCES, until the filter's processes are gone.
class SeccompAgent {
 public:
  explicit SeccompAgent(const std::string& path) {
    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    ok_ = ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
          ::listen(listener_, 4) == 0;
  }
  ~SeccompAgent() {
    ::shutdown(listener_, SHUT_RDWR);
    for (auto& t : threads_) t.join();
    ::close(listener_);
  }
  bool ok() const { return ok_; }
  /// Serves the next `count` connections in the background.
  void serve(int count) {
    threads_.emplace_back([this, count] {
      std::vector<std::thread> handlers;
      for (int i = 0; i < count; ++i) {
        int conn = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (conn < 0) break;
        handlers.emplace_back([this, conn] { handle(conn); });
      }
      for (auto& h : handlers) h.join();
    });
  }
  std::vector<std::string> states() {
    std::lock_guard lock(mu_);
    return states_;
  }

 private:
  void handle(int conn) {
    std::string buf(65536, '\0');
    std::array<iovec, 1> iov{{{buf.data(), buf.size()}}};
    common::UniqueFd fd;
    auto n = runtime::receive_with_fd(conn, iov, &fd, "agent");
    ::close(conn);
    if (!n || !fd) return;
    {
      std::lock_guard lock(mu_);
      states_.push_back(buf.substr(0, *n));
    }
    for (;;) {
      pollfd p{fd.get(), POLLIN, 0};
      if (::poll(&p, 1, 10000) <= 0 || (p.revents & (POLLHUP | POLLERR))) return;
      seccomp_notif req{};
      if (::ioctl(fd.get(), SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) continue;
      seccomp_notif_resp resp{};
      resp.id = req.id;
      resp.error = -EACCES;
      (void)::ioctl(fd.get(), SECCOMP_IOCTL_NOTIF_SEND, &resp);
    }
  }
  int listener_ = -1;
  bool ok_ = false;
  std::mutex mu_;
  std::vector<std::string> states_;
  std::vector<std::thread> threads_;
};

// SCMP_ACT_NOTIFY: the listener goes to linux.seccomp.listenerPath with the state, for
// the init and for every exec'd process (each has its own filter), and the agent decides.
TEST_F(RuntimeCli, SeccompNotifyReachesTheAgentForRunAndExec) {
  std::string socket_path = h.dir().path() + "/agent.sock";
  SeccompAgent agent(socket_path);
  ASSERT_TRUE(agent.ok());
  agent.serve(2);
  h.config()["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"listenerPath", socket_path},
      {"listenerMetadata", "test-meta"},
      {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_NOTIFY"}}}}};
  h.set_args({"sh", "-c", "mkdir /a 2>/dev/null || echo denied-a; exec sleep 100"});
  h.write_config();
  auto r = h.runtime({"run", "-d", "sn1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = h.runtime({"exec", "sn1", "sh", "-c", "mkdir /b 2>/dev/null || echo denied-b"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "denied-b\n");
  EXPECT_EQ(h.runtime({"delete", "-f", "sn1"}).exit_code, 0);
  auto states = agent.states();
  ASSERT_EQ(states.size(), 2u);
  for (const auto& text : states) {
    auto j = nlohmann::json::parse(text);
    EXPECT_EQ(j["fds"], nlohmann::json::array({"seccompFd"})) << text;
    EXPECT_EQ(j["metadata"], "test-meta") << text;
    EXPECT_EQ(j["state"]["id"], "sn1") << text;
  }
}

TEST_F(RuntimeCli, TerminalGoesToTheConsoleSocket) {
  std::string socket_path = h.dir().path() + "/console.sock";
  int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  h.config()["process"]["terminal"] = true;
  h.set_args({"sh", "-c", "tty; test -t 0 && echo stdin-is-a-tty"});
  h.write_config();
  std::string master_output;
  std::thread reader([&] {
    int conn = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    auto master = runtime::receive_fd(conn);
    ::close(conn);
    if (!master) return;
    char buf[256];
    ssize_t n = 0;
    while ((n = ::read(master->get(), buf, sizeof buf)) > 0)
      master_output.append(buf, static_cast<size_t>(n));
  });
  auto r = h.runtime({"run", "--console-socket", socket_path, "t1"});
  reader.join();
  ::close(listener);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(master_output.find("/dev/pts/0"), std::string::npos) << master_output;
  EXPECT_NE(master_output.find("stdin-is-a-tty"), std::string::npos) << master_output;

  r = h.runtime({"create", "t2"});
  EXPECT_EQ(r.err, "process.terminal is true: cannot allocate a tty without --console-socket\n");
}

}  // namespace
}  // namespace skiff::testing
