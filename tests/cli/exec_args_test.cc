#include "cmd/skiff/exec_args.h"

#include <gtest/gtest.h>

namespace skiff::cmd {
namespace {

using Words = std::vector<std::string>;

ExecOptions parsed(const Words& words, ExecOptions flags = {}) {
  auto o = parse_exec_words(std::move(flags), words);
  EXPECT_TRUE(o) << o.error().message();
  return o ? *o : ExecOptions{};
}

std::string error_of(const Words& words) {
  auto o = parse_exec_words({}, words);
  return o ? "" : o.error().message();
}

TEST(ExecWords, PodmanOrderWithoutDashes) {
  auto o = parsed({"web-1", "ls", "-l", "/"});
  EXPECT_EQ(o.name, "web-1");
  EXPECT_EQ(o.container, "");
  EXPECT_EQ(o.command, (Words{"ls", "-l", "/"}));
  EXPECT_FALSE(o.interactive || o.tty);
}

TEST(ExecWords, DashesEndTheOptions) {
  auto o = parsed({"web-1", "--", "sh", "-c", "echo hi; exit 3"});
  EXPECT_EQ(o.command, (Words{"sh", "-c", "echo hi; exit 3"}));
  // What follows -- is the command even when it looks like an option.
  EXPECT_EQ(parsed({"web-1", "--", "-c", "x"}).command, (Words{"-c", "x"}));
  EXPECT_EQ(parsed({"--", "web-1", "ls"}).name, "web-1");
}

TEST(ExecWords, ContainerBeforeNameComesFromTheParsedFlags) {
  auto o = parsed({"web-1", "--", "ls"}, ExecOptions{.container = "sidecar"});
  EXPECT_EQ(o.container, "sidecar");
  EXPECT_EQ(o.name, "web-1");
}

TEST(ExecWords, KubectlOrderOptionsAfterName) {
  EXPECT_EQ(parsed({"web-1", "-c", "main", "--", "ls"}).container, "main");
  EXPECT_EQ(parsed({"web-1", "--container", "main", "--", "ls"}).container, "main");
  EXPECT_EQ(parsed({"web-1", "--container=main", "--", "ls"}).container, "main");
  EXPECT_EQ(parsed({"web-1", "-cmain", "ls"}).container, "main");
  auto o = parsed({"web-1", "-c", "main", "cat", "-n", "/etc/hosts"});
  EXPECT_EQ(o.container, "main");
  EXPECT_EQ(o.command, (Words{"cat", "-n", "/etc/hosts"}));
  auto it = parsed({"web-1", "-it", "--", "sh"});
  EXPECT_TRUE(it.interactive);
  EXPECT_TRUE(it.tty);
  auto grouped = parsed({"web-1", "-ic", "main", "sh"});
  EXPECT_TRUE(grouped.interactive);
  EXPECT_EQ(grouped.container, "main");
  // A lone "-" is a word (a program named "-" is odd, but it is not an option).
  EXPECT_EQ(parsed({"web-1", "-"}).command, (Words{"-"}));
}

TEST(ExecWords, Errors) {
  EXPECT_EQ(error_of({}), "exec: a pod or container NAME is required");
  EXPECT_EQ(error_of({"--"}), "exec: a pod or container NAME is required");
  EXPECT_EQ(error_of({"web-1"}), "exec: a COMMAND is required: skiff exec NAME [--] COMMAND [ARG...]");
  EXPECT_EQ(error_of({"web-1", "--"}), "exec: a COMMAND is required: skiff exec NAME [--] COMMAND [ARG...]");
  EXPECT_EQ(error_of({"web-1", "-x", "--", "ls"}), "exec: unknown flag \"-x\" (put the command after --)");
  EXPECT_EQ(error_of({"web-1", "--nope", "ls"}), "exec: unknown flag \"--nope\" (put the command after --)");
  EXPECT_EQ(error_of({"web-1", "-c"}), "exec: flag -c needs a container name");
  EXPECT_EQ(error_of({"web-1", "--container=", "ls"}), "exec: -c: the container name is empty");
}

TEST(ExecRequest, Body) {
  EXPECT_EQ(exec_request({.name = "web-1", .command = {"ls", "-l"}}),
            nlohmann::json::parse(R"({"command":["ls","-l"]})"));
  EXPECT_EQ(exec_request({.name = "web-1", .container = "main", .command = {"true"}}),
            nlohmann::json::parse(R"({"command":["true"],"container":"main"})"));
}

TEST(ExecRequest, InteractiveBody) {
  ExecOptions it{.name = "web-1", .command = {"sh"}, .interactive = true, .tty = true};
  EXPECT_EQ(exec_request(it, TerminalSize{.cols = 120, .rows = 40}),
            nlohmann::json::parse(R"({"command":["sh"],"stdin":true,"tty":true,
                                      "terminalSize":{"cols":120,"rows":40}})"));
  // No size known (stdout is not a terminal either): none sent.
  EXPECT_EQ(exec_request(it), nlohmann::json::parse(R"({"command":["sh"],"stdin":true,"tty":true})"));
  EXPECT_EQ(exec_request(it, TerminalSize{.cols = 0, .rows = 40}),
            nlohmann::json::parse(R"({"command":["sh"],"stdin":true,"tty":true})"));
  // -i alone: stdin, no terminal, so no size either.
  ExecOptions i{.name = "web-1", .container = "main", .command = {"cat"}, .interactive = true};
  EXPECT_EQ(exec_request(i, TerminalSize{.cols = 80, .rows = 24}),
            nlohmann::json::parse(R"({"command":["cat"],"container":"main","stdin":true})"));
  ExecOptions t{.name = "web-1", .command = {"ls"}, .tty = true};
  EXPECT_EQ(exec_request(t, TerminalSize{.cols = 80, .rows = 24}),
            nlohmann::json::parse(R"({"command":["ls"],"tty":true,"terminalSize":{"cols":80,"rows":24}})"));
}

TEST(ExecTerminal, ItNeedsATerminalOnStdin) {
  ExecOptions it{.name = "web-1", .command = {"sh"}, .interactive = true, .tty = true};
  EXPECT_TRUE(check_terminal(it, true));
  auto st = check_terminal(it, false);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message(),
            "exec: the input device is not a TTY (use -i without -t to pass piped input)");
  // -i reads a pipe as well; -t alone does not read stdin at all.
  EXPECT_TRUE(check_terminal({.name = "w", .command = {"cat"}, .interactive = true}, false));
  EXPECT_TRUE(check_terminal({.name = "w", .command = {"ls"}, .tty = true}, false));
  EXPECT_TRUE(check_terminal({.name = "w", .command = {"ls"}}, false));
}

TEST(ExecWords, InteractiveFlagsEitherSideOfName) {
  auto before = parsed({"web-1", "--", "sh"}, ExecOptions{.interactive = true, .tty = true});
  EXPECT_TRUE(before.interactive && before.tty);
  auto spelled = parsed({"web-1", "--interactive", "--tty", "-c", "main", "--", "sh"});
  EXPECT_TRUE(spelled.interactive && spelled.tty);
  EXPECT_EQ(spelled.container, "main");
  auto ti = parsed({"web-1", "-ti", "sh"});
  EXPECT_TRUE(ti.interactive && ti.tty);
  auto only_i = parsed({"web-1", "-i", "cat"});
  EXPECT_TRUE(only_i.interactive);
  EXPECT_FALSE(only_i.tty);
  // After the command starts, -it belongs to the command.
  auto inner = parsed({"web-1", "ls", "-it"});
  EXPECT_FALSE(inner.interactive || inner.tty);
  EXPECT_EQ(inner.command, (Words{"ls", "-it"}));
}

TEST(ExecLine, Decodes) {
  EXPECT_EQ(parse_exec_line("{\"output\":\"hi\\n\"}\n").output, "hi\n");
  EXPECT_FALSE(parse_exec_line("{\"output\":\"hi\\n\"}\n").exit_code);
  EXPECT_EQ(parse_exec_line("{\"exitCode\":3}\n").exit_code, 3);
  EXPECT_EQ(parse_exec_line("{\"error\":\"wait: no child\"}").error, "wait: no child");
  ExecLine junk = parse_exec_line("not json\n");
  EXPECT_EQ(junk.output, "");
  EXPECT_FALSE(junk.exit_code);
  EXPECT_EQ(junk.error, "");
}

}  // namespace
}  // namespace skiff::cmd
