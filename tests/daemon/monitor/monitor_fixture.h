#pragma once
// A busybox bundle and a private runtime root (RuntimeHarness), a MonitorSpec pointing into
// the same temp dir, and a teardown that kills every container a test started and waits
// for its monitor, so no process outlives the test.

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>

#include <filesystem>
#include <string>
#include <vector>

#include "daemon/monitor/log_reader.h"
#include "daemon/monitor/monitor.h"
#include "runtime/container.h"
#include "tests/support/runtime_harness.h"

namespace skiff::daemon {

class MonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!testing::can_run_containers(&why)) GTEST_SKIP() << why;
    std::filesystem::create_directories(logs_dir());
  }

  void TearDown() override {
    for (const auto& [id, handle] : started_) {
      (void)runtime::kill_container(store(), id, SIGKILL, false);
      wait_for_monitor(handle);
    }
  }

  std::string logs_dir() { return h_.dir().path() + "/logs"; }
  runtime::StateStore store() { return runtime::StateStore(h_.state_root()); }

  /// A unique container id (tests run in parallel and share the cgroup tree).
  std::string new_id(const std::string& name) {
    return "mon-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++);
  }

  MonitorSpec spec_for(const std::string& id) {
    return MonitorSpec{.container_id = id,
                       .bundle = h_.bundle(),
                       .runtime_root = h_.state_root(),
                       .log_path = logs_dir() + "/" + id + ".log",
                       .log_max_bytes = 1 << 20,
                       .log_max_files = 2,
                       .exit_file = logs_dir() + "/" + id + ".exit",
                       .monitor_binary = SKIFF_MONITOR_BIN};
  }

  /// Writes config.json running `args`, starts a monitored container, and remembers it for
  /// the teardown.
  MonitorHandle start(const MonitorSpec& spec, const std::vector<std::string>& args) {
    h_.set_args(args);
    h_.write_config();
    auto handle = start_monitored_container(spec);
    if (!handle) {
      ADD_FAILURE() << handle.error().message();
      return {};
    }
    started_.emplace_back(spec.container_id, *handle);
    return *handle;
  }

  /// Waits (at most a minute, so a broken monitor fails the test instead of hanging it)
  /// until the monitor has exited.
  static void wait_for_monitor(const MonitorHandle& handle) {
    auto pidfd = open_monitor(handle.monitor_pid, handle.monitor_start_time);
    if (!pidfd) return;  // already gone
    pollfd p{pidfd->get(), POLLIN, 0};
    EXPECT_EQ(::poll(&p, 1, 60000), 1) << "monitor " << handle.monitor_pid << " did not exit";
  }

  /// The exit the monitor recorded, once it exited.
  static ContainerExit exit_of(const MonitorSpec& spec, const MonitorHandle& handle) {
    wait_for_monitor(handle);
    auto exit = read_container_exit(spec.exit_file);
    if (!exit || !exit->has_value()) {
      ADD_FAILURE() << "no exit recorded in " << spec.exit_file
                    << (exit ? "" : ": " + exit.error().message());
      return {};
    }
    return **exit;
  }

  static std::vector<LogRecord> records(const MonitorSpec& spec, LogReadOptions options = {}) {
    std::vector<LogRecord> out;
    auto st = read_log(spec.log_path, options, [&](const LogRecord& r) {
      out.push_back(r);
      return true;
    });
    EXPECT_TRUE(st) << st.error().message();
    return out;
  }

  testing::RuntimeHarness h_;
  std::vector<std::pair<std::string, MonitorHandle>> started_;
  int counter_ = 0;
};

}  // namespace skiff::daemon
