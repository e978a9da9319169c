// skiffd end to end (issue 6): interactive containers. `skiff run -it` driven through a
// pty as a user's terminal drives it (the real skiff binary under forkpty): the prompt of a
// shell started before skiff attached, its answers, the window size at start and after a
// resize, the container's exit code as skiff's, the local terminal restored, `--rm`, and
// the output still in the container's log; `skiff run -i` with piped stdin and no
// terminal; `skiff attach` to such containers (detaching with ctrl-p ctrl-q and attaching
// again) and to plain ones, whose output it follows. The protocol is docs/api.md "Attach".

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

// `skiff attach` (docs/api.md "Attach"): to a shell started with `run -d -it`, detached
// from with ctrl-p ctrl-q and attached to again; to a container started with -i alone with
// piped stdin; to one started without -i/-t, whose output it follows; and its errors.
class SkiffdAttach : public SkiffdRunInteractive {
 protected:
  std::string state(const std::string& name) {
    json summary = json::parse(api().get("/v1/containers/" + name).body, nullptr, false);
    return summary.is_object() ? summary.value("state", "") : "";
  }
};

TEST_F(SkiffdAttach, DetachAndAttachAgain) {
  auto started = skiff::testing::run_command(skiff({"run", "-d", "-it", "--name", "box", "busybox", "sh"}));
  ASSERT_EQ(started.exit_code, 0) << started.err << daemon_log();
  json summary = json::parse(api().get("/v1/containers/box").body, nullptr, false);
  EXPECT_EQ(summary.value("tty", false), true) << summary;
  EXPECT_EQ(summary.value("stdin", false), true) << summary;
  // Its terminal needs one here to type into, as docker's attach says.
  auto no_tty = skiff::testing::run_command(skiff({"attach", "box"}), "");
  EXPECT_EQ(no_tty.exit_code, 1);
  EXPECT_NE(no_tty.err.find("the input device is not a TTY"), std::string::npos) << no_tty.err;
  {
    PtyProgram attach(skiff({"attach", "box"}), 100, 30);
    ASSERT_TRUE(attach.started());
    // The first client gets what the shell wrote before: its prompt.
    ASSERT_TRUE(attach.read_until("# ")) << attach.output() << daemon_log();
    EXPECT_EQ(attach.local_modes() & (ICANON | ECHO), 0U);
    size_t mark = attach.output().size();
    attach.type("stty size; echo $((6*7))\r");
    EXPECT_TRUE(attach.read_until("30 100", mark)) << attach.output();
    EXPECT_TRUE(attach.read_until("42\r\n", mark)) << attach.output();
    // ctrl-p ctrl-q: skiff leaves, says nothing, and the shell goes on.
    mark = attach.output().size();
    attach.type("\x10\x11");
    EXPECT_EQ(attach.wait(), 0) << attach.output() << daemon_log();
    EXPECT_EQ(attach.output().substr(mark), "");
    EXPECT_EQ(attach.local_modes() & (ICANON | ECHO), static_cast<tcflag_t>(ICANON | ECHO));
  }
  EXPECT_EQ(state("box"), "running");

  PtyProgram again(skiff({"attach", "box"}), 80, 24);
  ASSERT_TRUE(again.started());
  // Nothing is replayed to a second client: the shell answers what is typed now.
  again.type("echo again-$((1+1))\r");
  EXPECT_TRUE(again.read_until("again-2\r\n")) << again.output() << daemon_log();
  again.type("exit 3\r");
  EXPECT_EQ(again.wait(), 3) << again.output() << daemon_log();
  EXPECT_EQ(state("box"), "exited");
}

TEST_F(SkiffdAttach, RunItHonoursTheDetachKeys) {
  PtyProgram run(
      skiff({"run", "-it", "--rm", "--detach-keys", "q,ctrl-x", "--name", "runbox", "busybox", "sh"}), 80,
      24);
  ASSERT_TRUE(run.started());
  ASSERT_TRUE(run.read_until("# ")) << run.output() << daemon_log();
  // A q that no ctrl-x follows is a q: it reaches the shell, in its place.
  size_t mark = run.output().size();
  run.type("echo q$((2+2))q\r");
  EXPECT_TRUE(run.read_until("q4q\r\n", mark)) << run.output();
  run.type("q\x18");
  EXPECT_EQ(run.wait(), 0) << run.output() << daemon_log();
  // Detached, not ended: --rm removes nothing yet.
  EXPECT_EQ(state("runbox"), "running");

  PtyProgram attach(skiff({"attach", "runbox"}), 80, 24);
  ASSERT_TRUE(attach.started());
  attach.type("exit 5\r");
  EXPECT_EQ(attach.wait(), 5) << attach.output() << daemon_log();
}

TEST_F(SkiffdAttach, PipedStdinPassesThroughUnchanged) {
  auto started = skiff::testing::run_command(
      skiff({"run", "-d", "-i", "--name", "cat", "busybox", "sh", "-c", "cat; exit 2"}));
  ASSERT_EQ(started.exit_code, 0) << started.err << daemon_log();
  // Without a terminal the detach keys are bytes like any other, as with docker.
  auto attach = skiff::testing::run_command(skiff({"attach", "cat"}), "one\x10\x11two\n");
  EXPECT_EQ(attach.exit_code, 2) << attach.err << daemon_log();
  EXPECT_EQ(attach.out, "one\x10\x11two\n");
  EXPECT_EQ(attach.err, "");
}

TEST_F(SkiffdAttach, FollowsTheOutputOfAPlainContainer) {
  // A line a second until /tmp/stop exists, then a last line and exit 7.
  auto started = skiff::testing::run_command(
      skiff({"run", "-d", "--name", "ticker", "busybox", "sh", "-c",
             "echo history; i=0; while [ ! -e /tmp/stop ]; do echo tick-$i; i=$((i+1)); sleep 1; done; "
             "echo last; exit 7"}));
  ASSERT_EQ(started.exit_code, 0) << started.err << daemon_log();
  ASSERT_TRUE(eventually([&] {
    return api().get("/v1/containers/ticker/log").body.find("tick-0") != std::string::npos;
  })) << daemon_log();

  PtyProgram attach(skiff({"attach", "ticker"}), 80, 24);
  ASSERT_TRUE(attach.started());
  // A line written while attached, then the last one once the container is told to end.
  ASSERT_TRUE(attach.read_until("tick-")) << attach.output() << daemon_log();
  EXPECT_EQ(sh("ticker", "touch /tmp/stop").exit_code, 0);
  EXPECT_TRUE(attach.read_until("last\r\n")) << attach.output();
  EXPECT_EQ(attach.wait(), 7) << attach.output() << daemon_log();
  // From now on: what was written before skiff attached is not shown.
  EXPECT_EQ(attach.output().find("history"), std::string::npos) << attach.output();
  EXPECT_EQ(attach.output().find("tick-0\r\n"), std::string::npos) << attach.output();
}

TEST_F(SkiffdAttach, Errors) {
  auto started = skiff::testing::run_command(skiff({"run", "-d", "--name", "done", "busybox", "true"}));
  ASSERT_EQ(started.exit_code, 0) << started.err << daemon_log();
  ASSERT_EQ(api().get("/v1/containers/done/wait").status, 200);
  auto stopped = skiff::testing::run_command(skiff({"attach", "done"}));
  EXPECT_EQ(stopped.exit_code, 1);
  EXPECT_EQ(stopped.err, "error: container \"done\" has exited: you can only attach to running containers\n");

  auto missing = skiff::testing::run_command(skiff({"attach", "nope"}));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "error: no container named \"nope\"\n");

  auto keys = skiff::testing::run_command(skiff({"attach", "--detach-keys", "ctrl-", "done"}));
  EXPECT_EQ(keys.exit_code, 1);
  EXPECT_EQ(keys.err, "error: --detach-keys: invalid key \"ctrl-\"\n");
}

}  // namespace
}  // namespace skiff::e2e
