// skiff-monitor with real containers: exit statuses, surviving its starter, finding it
// again, failures that leave nothing, and what a watching monitor costs.

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <fstream>
#include <sstream>

#include "common/files.h"
#include "common/strings.h"
#include "tests/daemon/monitor/monitor_fixture.h"

namespace skiff::daemon {
namespace {

// Field `n` (1-based, as proc(5) counts) of /proc/<pid>/stat; "" if the process is gone.
std::string stat_field(pid_t pid, size_t n) {
  auto text = common::read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!text) return "";
  auto fields = common::split_whitespace(std::string_view(*text).substr(text->rfind(')') + 2));
  return n >= 3 && n - 3 < fields.size() ? std::string(fields[n - 3]) : "";
}

bool running(pid_t pid) {
  std::string state = stat_field(pid, 3);
  return !state.empty() && state != "Z" && state != "X";
}

// Processes (not zombies) whose command line mentions `text`.
std::vector<pid_t> processes_mentioning(const std::string& text) {
  std::vector<pid_t> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(text) != std::string::npos && running(std::stoi(name))) found.push_back(std::stoi(name));
  }
  return found;
}

TEST_F(MonitorTest, RecordsTheExitCodeAndTheOutput) {
  auto spec = spec_for(new_id("exit"));
  auto handle = start(spec, {"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_GT(handle.container_pid, 0);
  EXPECT_FALSE(handle.started_at.empty());
  auto exit = exit_of(spec, handle);
  EXPECT_EQ(exit.exit_code, 3);
  EXPECT_EQ(exit.signal, 0);
  EXPECT_FALSE(exit.oom_killed);
  EXPECT_EQ(exit.started_at, handle.started_at);
  EXPECT_GE(exit.finished_at, exit.started_at);
  auto logged = records(spec);
  ASSERT_EQ(logged.size(), 2u);
  for (const auto& r : logged) {
    EXPECT_FALSE(r.partial);
    EXPECT_EQ(r.stream == "stdout" ? "out" : "err", r.text) << r.stream;
  }
}

TEST_F(MonitorTest, SigkillIsRecordedAs137AndTheInitIsTheMonitorsChild) {
  auto spec = spec_for(new_id("kill"));
  auto handle = start(spec, {"sleep", "1000"});
  ASSERT_TRUE(running(handle.container_pid));
  EXPECT_EQ(stat_field(handle.container_pid, 4), std::to_string(handle.monitor_pid));
  // The monitor watches in the small mode, and ignores the signals of a stray kill.
  auto cmdline = common::read_file("/proc/" + std::to_string(handle.monitor_pid) + "/cmdline");
  ASSERT_TRUE(cmdline);
  EXPECT_NE(cmdline->find(std::string("--mode\0watch", 12)), std::string::npos);
  ASSERT_EQ(::kill(handle.monitor_pid, SIGTERM), 0);
  ASSERT_TRUE(runtime::kill_container(store(), spec.container_id, SIGKILL, false));
  auto exit = exit_of(spec, handle);
  EXPECT_EQ(exit.exit_code, 137);
  EXPECT_EQ(exit.signal, 9);
}

TEST_F(MonitorTest, SurvivesTheProcessThatStartedIt) {
  auto spec = spec_for(new_id("orphan"));
  h_.set_args({"sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.05; done; exit 7"});
  h_.write_config();
  std::array<int, 2> fds{};
  ASSERT_EQ(::pipe2(fds.data(), O_CLOEXEC), 0);
  pid_t starter = ::fork();
  ASSERT_GE(starter, 0);
  if (starter == 0) {
    auto handle = start_monitored_container(spec);
    if (!handle) ::_exit(1);
    MonitorHandle h = *handle;
    std::string text = std::to_string(h.monitor_pid) + " " + std::to_string(h.monitor_start_time) + " " +
                       std::to_string(h.container_pid);
    ::_exit(::write(fds[1], text.data(), text.size()) == static_cast<ssize_t>(text.size()) ? 0 : 2);
  }
  ::close(fds[1]);
  int status = 0;
  ASSERT_EQ(::waitpid(starter, &status, 0), starter);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  char buf[128] = {};
  ASSERT_GT(::read(fds[0], buf, sizeof buf - 1), 0);
  ::close(fds[0]);
  MonitorHandle handle;
  std::istringstream(buf) >> handle.monitor_pid >> handle.monitor_start_time >> handle.container_pid;
  started_.emplace_back(spec.container_id, handle);

  // The starter is gone; the monitor and the container are not, and neither was its child.
  EXPECT_TRUE(running(handle.monitor_pid));
  EXPECT_TRUE(running(handle.container_pid));
  EXPECT_NE(stat_field(handle.monitor_pid, 4), std::to_string(starter));
  EXPECT_NE(stat_field(handle.monitor_pid, 4), std::to_string(::getpid()));
  EXPECT_NE(::getsid(handle.monitor_pid), ::getsid(0));  // a session of its own
  auto pidfd = open_monitor(handle.monitor_pid, handle.monitor_start_time);
  ASSERT_TRUE(pidfd) << pidfd.error().message();

  std::ofstream(h_.rootfs() + "/tmp/go").put('\n');
  auto exit = exit_of(spec, handle);
  EXPECT_EQ(exit.exit_code, 7);
}

TEST_F(MonitorTest, OpenMonitorFindsALiveMonitorAndRejectsAWrongStartTime) {
  auto spec = spec_for(new_id("open"));
  auto handle = start(spec, {"sleep", "1000"});
  auto pidfd = open_monitor(handle.monitor_pid, handle.monitor_start_time);
  ASSERT_TRUE(pidfd) << pidfd.error().message();
  pollfd p{pidfd->get(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 0), 0);  // alive: not readable yet
  auto wrong = open_monitor(handle.monitor_pid, handle.monitor_start_time - 1);
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message().find("another process"), std::string::npos) << wrong.error().message();

  ASSERT_TRUE(runtime::kill_container(store(), spec.container_id, SIGKILL, false));
  // The pidfd turns readable when the monitor exits, and by then the exit is on disk.
  EXPECT_EQ(::poll(&p, 1, 60000), 1);
  auto exit = read_container_exit(spec.exit_file);
  ASSERT_TRUE(exit);
  ASSERT_TRUE(exit->has_value());
  EXPECT_EQ((*exit)->exit_code, 137);
}

class FailingCreate : public MonitorTest {
 protected:
  void expect_failure_leaves_nothing(const std::string& id, const std::string& expected_text) {
    auto spec = spec_for(id);
    auto handle = start_monitored_container(spec);
    ASSERT_FALSE(handle) << "container " << id << " started";
    EXPECT_NE(handle.error().message().find(expected_text), std::string::npos) << handle.error().message();
    EXPECT_FALSE(std::filesystem::exists(h_.state_root() + "/" + id));
    EXPECT_TRUE(processes_mentioning(std::string("--id\0", 5) + id + '\0').empty());
    EXPECT_FALSE(std::filesystem::exists(spec.exit_file));
  }
};

TEST_F(FailingCreate, MissingRootfs) {
  h_.set_args({"true"});
  h_.config()["root"]["path"] = "no-such-rootfs";
  h_.write_config();
  std::string id = new_id("norootfs");
  expect_failure_leaves_nothing(id, "create " + id + ": root.path");
}

TEST_F(FailingCreate, MalformedConfig) {
  h_.dir().write("bundle/config.json", "{ not json");
  std::string id = new_id("badconfig");
  expect_failure_leaves_nothing(id, "create " + id + ":");
}

TEST_F(FailingCreate, MissingExecutable) {
  h_.set_args({"/no/such/program"});
  h_.write_config();
  std::string id = new_id("noexec");
  expect_failure_leaves_nothing(id, id + ":");
}

TEST_F(FailingCreate, UnwritableLog) {
  h_.set_args({"true"});
  h_.write_config();
  std::string id = new_id("nolog");
  auto spec = spec_for(id);
  spec.log_path = h_.dir().path() + "/no/such/dir/ctr.log";
  auto handle = start_monitored_container(spec);
  ASSERT_FALSE(handle);
  EXPECT_NE(handle.error().message().find(spec.log_path), std::string::npos) << handle.error().message();
  EXPECT_FALSE(std::filesystem::exists(h_.state_root() + "/" + id));
}

TEST_F(FailingCreate, MissingMonitorBinary) {
  auto spec = spec_for(new_id("nobinary"));
  spec.monitor_binary = h_.dir().path() + "/no-such-monitor";
  auto handle = start_monitored_container(spec);
  ASSERT_FALSE(handle);
  EXPECT_NE(handle.error().message().find(spec.monitor_binary), std::string::npos)
      << handle.error().message();
}

TEST_F(MonitorTest, OomKillIsRecorded) {
  h_.config()["linux"]["resources"]["memory"] = {{"limit", 16 << 20}, {"swap", 16 << 20}};
  auto spec = spec_for(new_id("oom"));
  // The shell keeps the whole substitution in memory: far past the limit.
  auto handle = start(spec, {"sh", "-c", "x=$(busybox yes | busybox head -c 200000000); echo survived"});
  auto exit = exit_of(spec, handle);
  EXPECT_EQ(exit.exit_code, 137);
  EXPECT_TRUE(exit.oom_killed);
}

// Not an assertion on a number (builds differ: a sanitizer build is much larger), but the
// measurement the per-pod memory budget refers to, printed with every run.
TEST_F(MonitorTest, WatchingMonitorMemoryIsReported) {
  auto spec = spec_for(new_id("rss"));
  auto handle = start(spec, {"sh", "-c", "echo hello; sleep 1000"});
  // Once the first record is in the log, the monitor has run its whole write path.
  auto first = records(spec);
  for (int i = 0; i < 6000 && first.empty(); ++i) {
    ::usleep(10000);
    first = records(spec);
  }
  ASSERT_FALSE(first.empty());
  auto status = common::read_file("/proc/" + std::to_string(handle.monitor_pid) + "/status");
  ASSERT_TRUE(status);
  std::string rss;
  for (auto line : common::split(*status, '\n'))
    if (line.rfind("VmRSS:", 0) == 0 || line.rfind("RssAnon:", 0) == 0 || line.rfind("RssFile:", 0) == 0)
      rss += std::string(common::trim(line)) + " ";
  RecordProperty("watch_mode_rss", rss);
  std::printf("watch-mode monitor: %s\n", rss.c_str());
}

}  // namespace
}  // namespace skiff::daemon
