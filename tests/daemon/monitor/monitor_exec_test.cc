// skiff-monitor's exec mode through ExecProcess (daemon/monitor/exec_process.h): a command
// in a running busybox container, its output and exit code, and stop() on a hung one.

#include <poll.h>
#include <unistd.h>

#include "daemon/monitor/exec_process.h"
#include "tests/daemon/monitor/monitor_fixture.h"

namespace skiff::daemon {
namespace {

struct Finished {
  int code = -1;
  std::string output;
};

/// Reads the output until the command ends (at most 30 s), then waits for it.
Finished finish(ExecProcess& p) {
  Finished f;
  pollfd ended{p.pidfd(), POLLIN, 0};
  EXPECT_EQ(::poll(&ended, 1, 30000), 1) << "the exec did not end";
  char buf[4096];
  for (ssize_t n; (n = ::read(p.output(), buf, sizeof buf)) > 0;)
    f.output.append(buf, static_cast<size_t>(n));
  auto code = p.wait();
  EXPECT_TRUE(code) << code.error().message();
  f.code = code ? *code : -1;
  return f;
}

class MonitorExec : public MonitorTest {
 protected:
  ExecSpec exec_spec(const std::string& id, std::vector<std::string> command) {
    return {.container_id = id,
            .runtime_root = h_.state_root(),
            .command = std::move(command),
            .monitor_binary = SKIFF_MONITOR_BIN};
  }
};

TEST_F(MonitorExec, RunsInTheContainerWithItsOutputAndExitCode) {
  std::string id = new_id("exec");
  start(spec_for(id), {"sleep", "100"});
  // In the container's pid namespace (its pid 1 is the sleep); stdout and stderr both come back.
  auto p =
      ExecProcess::start(exec_spec(id, {"sh", "-c", "sleep 0.2; cat /proc/1/comm; echo oops >&2; exit 7"}));
  ASSERT_TRUE(p) << p.error().message();
  Finished f = finish(*p);
  EXPECT_EQ(f.code, 7);
  EXPECT_EQ(f.output, "sleep\noops\n");
}

TEST_F(MonitorExec, ACommandThatCannotRunSaysWhy) {
  std::string id = new_id("exec-missing");
  start(spec_for(id), {"sleep", "100"});
  auto p = ExecProcess::start(exec_spec(id, {"/no/such/program"}));
  ASSERT_TRUE(p) << p.error().message();
  Finished f = finish(*p);
  EXPECT_NE(f.code, 0);
  EXPECT_NE(f.output.find("/no/such/program"), std::string::npos) << f.output;

  auto gone = ExecProcess::start(exec_spec("no-such-container", {"true"}));
  ASSERT_TRUE(gone) << gone.error().message();
  f = finish(*gone);
  EXPECT_EQ(f.code, 126);
  EXPECT_NE(f.output.find("no-such-container"), std::string::npos) << f.output;
}

TEST_F(MonitorExec, StopKillsAHungCommand) {
  std::string id = new_id("exec-hung");
  start(spec_for(id), {"sleep", "100"});
  auto p = ExecProcess::start(exec_spec(id, {"sleep", "1000"}));
  ASSERT_TRUE(p) << p.error().message();
  ::usleep(200 * 1000);
  p->stop();
  Finished f = finish(*p);
  EXPECT_EQ(f.code, 128 + SIGKILL) << f.output;
  // Nothing of it is left in the container: only its init runs.
  auto processes = runtime::container_processes(store(), id);
  ASSERT_TRUE(processes) << processes.error().message();
  EXPECT_EQ(processes->size(), 1U);
}

}  // namespace
}  // namespace skiff::daemon
