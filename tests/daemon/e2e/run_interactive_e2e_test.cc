// skiffd end to end (issue 6): interactive containers. `skiff run -it` driven through a
// pty as a user's terminal drives it (the real skiff binary under forkpty): the prompt of a
// shell started before skiff attached, its answers, the window size at start and after a
// resize, the container's exit code as skiff's, the local terminal restored, `--rm`, and
// the output still in the container's log; `skiff run -i` with piped stdin and no
// terminal. The protocol is docs/api.md "Attach".

#include <termios.h>

#include "tests/daemon/e2e/pty_program.h"
#include "tests/daemon/e2e/skiffd_fixture.h"

namespace skiff::e2e {
namespace {

class SkiffdRunInteractive : public Skiffd {
 protected:
  std::vector<std::string> skiff(const std::vector<std::string>& args) {
    std::vector<std::string> argv{SKIFF_BIN, "--socket", socket_};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  int container_status(const std::string& name) { return api().get("/v1/containers/" + name).status; }
};

TEST_F(SkiffdRunInteractive, AShellOnATerminal) {
  PtyProgram run(skiff({"run", "-it", "--rm", "--name", "shell", "busybox", "sh"}), 100, 30);
  ASSERT_TRUE(run.started());
  // The prompt came before skiff attached: the monitor kept it for the first client.
  ASSERT_TRUE(run.read_until("# ")) << run.output() << daemon_log();
  EXPECT_EQ(run.local_modes() & (ICANON | ECHO), 0U);

  size_t mark = run.output().size();
  run.type("stty size; tty\r");
  EXPECT_TRUE(run.read_until("30 100", mark)) << run.output();
  EXPECT_TRUE(run.read_until("/dev/pts/", mark)) << run.output();
  run.resize(120, 40);
  mark = run.output().size();
  run.type("stty size\r");
  EXPECT_TRUE(run.read_until("40 120", mark)) << run.output();

  mark = run.output().size();
  run.type("echo $((6*7)); exit 4\r");
  EXPECT_TRUE(run.read_until("42\r\n", mark)) << run.output();
  EXPECT_EQ(run.wait(), 4) << run.output() << daemon_log();
  EXPECT_EQ(run.local_modes() & (ICANON | ECHO), static_cast<tcflag_t>(ICANON | ECHO));
  // --rm: gone once skiff has returned.
  EXPECT_EQ(container_status("shell"), 404);
}

TEST_F(SkiffdRunInteractive, TheOutputIsLogged) {
  PtyProgram run(skiff({"run", "-it", "--name", "logged", "busybox", "sh"}), 80, 24);
  ASSERT_TRUE(run.started());
  ASSERT_TRUE(run.read_until("# ")) << run.output() << daemon_log();
  size_t mark = run.output().size();
  run.type("echo logged-$((40+2))\r");
  EXPECT_TRUE(run.read_until("logged-42\r\n", mark)) << run.output();
  run.type("exit\r");
  EXPECT_EQ(run.wait(), 0) << run.output() << daemon_log();
  auto logs = skiff::testing::run_command(skiff({"logs", "logged"}));
  EXPECT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_NE(logs.out.find("logged-42"), std::string::npos) << logs.out;
  auto removed = skiff::testing::run_command(skiff({"rm", "logged"}));
  EXPECT_EQ(removed.exit_code, 0) << removed.err;
}

TEST_F(SkiffdRunInteractive, AContainerThatEndsBeforeSkiffAttaches) {
  // -t without -i: nothing is read from our terminal; the output of a command that ends at
  // once still reaches skiff, then its exit code.
  PtyProgram run(skiff({"run", "-t", "--rm", "busybox", "sh", "-c", "echo quick; exit 3"}), 80, 24);
  ASSERT_TRUE(run.started());
  EXPECT_EQ(run.wait(), 3) << run.output() << daemon_log();
  EXPECT_NE(run.output().find("quick"), std::string::npos) << run.output();
}

TEST_F(SkiffdRunInteractive, PipedStdinWithoutATerminal) {
  auto cat = skiff::testing::run_command(skiff({"run", "-i", "--rm", "busybox", "cat"}), "hi\n");
  EXPECT_EQ(cat.exit_code, 0) << cat.err << daemon_log();
  EXPECT_EQ(cat.out, "hi\n");
  EXPECT_EQ(cat.err, "");

  auto both = skiff::testing::run_command(
      skiff({"run", "-i", "--rm", "busybox", "sh", "-c", "cat; echo err >&2; exit 5"}), "one\ntwo\n");
  EXPECT_EQ(both.exit_code, 5) << both.err;
  EXPECT_EQ(both.out, "one\ntwo\n");
  EXPECT_EQ(both.err, "err\n");

  // -it needs a terminal on stdin, as docker's does.
  auto no_tty = skiff::testing::run_command(skiff({"run", "-it", "--rm", "busybox", "sh"}), "");
  EXPECT_EQ(no_tty.exit_code, 1);
  EXPECT_NE(no_tty.err.find("the input device is not a TTY"), std::string::npos) << no_tty.err;

  // Attaching to a container that was not started interactive is refused.
  auto detached =
      skiff::testing::run_command(skiff({"run", "-d", "--name", "plain", "busybox", "sleep", "60"}));
  ASSERT_EQ(detached.exit_code, 0) << detached.err;
  auto attach = api().request("POST", "/v1/containers/plain/attach", "{}");
  EXPECT_EQ(attach.status, 400) << attach.body;
  EXPECT_EQ(container_status("nope"), 404);
}

}  // namespace
}  // namespace skiff::e2e
