// skiffd end to end (issue 6): interactive exec. `skiff exec -it` driven through a pty as a
// user's terminal drives it (the real skiff binary under forkpty): a shell's answer and
// exit code, the window size at start and after a resize, the local terminal raw during
// the session and restored after; and `skiff exec -i` with piped stdin and no terminal.
// The fixture is skiffd_fixture.h; the protocol is docs/api.md "Interactive exec".

#include <termios.h>

#include "tests/daemon/e2e/pty_program.h"
#include "tests/daemon/e2e/skiffd_fixture.h"

namespace skiff::e2e {
namespace {

class SkiffdInteractiveExec : public Skiffd {
 protected:
  std::vector<std::string> skiff_exec(const std::vector<std::string>& args) {
    std::vector<std::string> argv{SKIFF_BIN, "--socket", socket_, "exec"};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
};

TEST_F(SkiffdInteractiveExec, AShellOnATerminal) {
  std::string pod = running_pod_of("shell");
  ASSERT_FALSE(pod.empty());
  PtyProgram skiff(skiff_exec({"-it", pod, "--", "sh"}), 100, 30);
  ASSERT_TRUE(skiff.started());
  ASSERT_TRUE(skiff.read_until("# ")) << skiff.output() << daemon_log();
  // While the session lasts, the local terminal is raw: the container's pty echoes.
  EXPECT_EQ(skiff.local_modes() & (ICANON | ECHO), 0U);

  // A terminal of the size of ours, resized with it.
  size_t mark = skiff.output().size();
  skiff.type("stty size\r");
  EXPECT_TRUE(skiff.read_until("30 100", mark)) << skiff.output();
  skiff.resize(120, 40);
  mark = skiff.output().size();
  skiff.type("stty size; tty\r");
  EXPECT_TRUE(skiff.read_until("40 120", mark)) << skiff.output();
  EXPECT_TRUE(skiff.read_until("/dev/pts/", mark)) << skiff.output();

  mark = skiff.output().size();
  skiff.type("echo $((6*7)); exit 3\r");
  EXPECT_TRUE(skiff.read_until("42\r\n", mark)) << skiff.output();
  EXPECT_EQ(skiff.wait(), 3) << skiff.output() << daemon_log();
  // The terminal is as it was.
  EXPECT_EQ(skiff.local_modes() & (ICANON | ECHO), static_cast<tcflag_t>(ICANON | ECHO));
}

TEST_F(SkiffdInteractiveExec, KeysReachTheCommandAsTyped) {
  std::string pod = running_pod_of("keys");
  ASSERT_FALSE(pod.empty());
  // ^C is a key for the container's terminal, not a signal for skiff: it interrupts the
  // sleep, and the shell goes on.
  PtyProgram skiff(skiff_exec({"-it", pod, "sh"}), 80, 24);
  ASSERT_TRUE(skiff.started());
  ASSERT_TRUE(skiff.read_until("# ")) << skiff.output() << daemon_log();
  skiff.type("sleep 4321\r");
  // ^C once the sleep runs (the bracket keeps grep from finding itself).
  std::string find_sleep = json{{"command", {"sh", "-c", "ps | grep -q '[s]leep 4321'"}}}.dump();
  ASSERT_TRUE(eventually([&] {
    auto r = api().request("POST", "/v1/pods/" + pod + "/exec", find_sleep);
    return r.body.find("\"exitCode\":0") != std::string::npos;
  })) << skiff.output();
  auto started = Clock::now();
  skiff.type("\x03");
  size_t mark = skiff.output().size();
  skiff.type("echo after\r");
  EXPECT_TRUE(skiff.read_until("after\r\n", mark, std::chrono::seconds(20))) << skiff.output();
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(20));
  skiff.type("exit\r");
  EXPECT_EQ(skiff.wait(), 0) << skiff.output();
}

TEST_F(SkiffdInteractiveExec, AnEndedSessionRestoresTheTerminalAndStopsTheCommand) {
  std::string pod = running_pod_of("ended");
  ASSERT_FALSE(pod.empty());
  PtyProgram skiff(skiff_exec({"-it", pod, "--", "sh"}), 80, 24);
  ASSERT_TRUE(skiff.started());
  ASSERT_TRUE(skiff.read_until("# ")) << skiff.output() << daemon_log();
  skiff.type("sleep 4242\r");
  std::string find_sleep = json{{"command", {"sh", "-c", "ps | grep -q '[s]leep 4242'"}}}.dump();
  auto sleeping = [&] {
    auto r = api().request("POST", "/v1/pods/" + pod + "/exec", find_sleep);
    return r.body.find("\"exitCode\":0") != std::string::npos;
  };
  ASSERT_TRUE(eventually(sleeping)) << skiff.output();
  EXPECT_EQ(skiff.local_modes() & (ICANON | ECHO), 0U);
  // skiff told to stop (a closed terminal would send SIGHUP): it hangs up, which stops the
  // command, and leaves the terminal as it found it.
  skiff.signal(SIGTERM);
  EXPECT_EQ(skiff.wait(), 128 + SIGTERM) << skiff.output();
  EXPECT_EQ(skiff.local_modes() & (ICANON | ECHO), static_cast<tcflag_t>(ICANON | ECHO));
  EXPECT_TRUE(eventually([&] { return !sleeping(); }, std::chrono::seconds(20)))
      << "the command still runs after its client left";
}

TEST_F(SkiffdInteractiveExec, PipedStdinWithoutATerminal) {
  std::string pod = running_pod_of("pipe");
  ASSERT_FALSE(pod.empty());
  auto cat = skiff::testing::run_command(skiff_exec({"-i", pod, "--", "cat"}), "hi\n");
  EXPECT_EQ(cat.exit_code, 0) << cat.err << daemon_log();
  EXPECT_EQ(cat.out, "hi\n");
  EXPECT_EQ(cat.err, "");

  // stdout and stderr stay apart; the end of stdin ends `cat`, then the exit code.
  auto both = skiff::testing::run_command(
      skiff_exec({"-i", pod, "--", "sh", "-c", "cat; echo err >&2; exit 5"}), "one\ntwo\n");
  EXPECT_EQ(both.exit_code, 5) << both.err;
  EXPECT_EQ(both.out, "one\ntwo\n");
  EXPECT_EQ(both.err, "err\n");

  // Much input arrives whole and in order.
  std::string big;
  for (int i = 0; i < 50000; ++i) big += std::to_string(i) + "\n";
  auto wc = skiff::testing::run_command(skiff_exec({"-i", pod, "--", "wc", "-c"}), big);
  EXPECT_EQ(wc.exit_code, 0) << wc.err;
  EXPECT_EQ(wc.out.substr(wc.out.find_first_not_of(' ')), std::to_string(big.size()) + "\n");

  // -it needs a terminal on stdin, as docker's does.
  auto no_tty = skiff::testing::run_command(skiff_exec({"-it", pod, "--", "sh"}), "");
  EXPECT_EQ(no_tty.exit_code, 1);
  EXPECT_NE(no_tty.err.find("the input device is not a TTY"), std::string::npos) << no_tty.err;

  // The daemon's errors still come before anything starts.
  auto missing = skiff::testing::run_command(skiff_exec({"-i", "nope", "--", "cat"}), "");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "error: pod \"nope\" not found\n");
}

}  // namespace
}  // namespace skiff::e2e
