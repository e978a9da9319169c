#include "cmd/skiff/run_args.h"

#include <gtest/gtest.h>

#include <map>

namespace skiff::cmd {
namespace {

TEST(Publish, Forms) {
  EXPECT_EQ(*parse_publish("8080:80"), "8080:80/tcp");
  EXPECT_EQ(*parse_publish("127.0.0.1:8080:80"), "127.0.0.1:8080:80/tcp");
  EXPECT_EQ(*parse_publish("5353:53/UDP"), "5353:53/udp");
  EXPECT_EQ(parse_publish("80").error().message(), "invalid -p \"80\": want [IP:]HOST:CONTAINER[/PROTOCOL]");
  EXPECT_EQ(parse_publish("8080:0").error().message(), "invalid -p \"8080:0\": port \"0\" is not in 1-65535");
  EXPECT_EQ(parse_publish("70000:80").error().message(),
            "invalid -p \"70000:80\": port \"70000\" is not in 1-65535");
  EXPECT_EQ(parse_publish("8080:80/sctp").error().message(),
            "invalid -p \"8080:80/sctp\": protocol must be tcp or udp");
  EXPECT_EQ(parse_publish("localhost:8080:80").error().message(),
            "invalid -p \"localhost:8080:80\": \"localhost\" is not an IPv4 address");
  EXPECT_FALSE(parse_publish("1.2.3.999:1:2"));
}

TEST(Env, AssignmentsAndPassThrough) {
  std::map<std::string, std::string> env{{"HOME", "/root"}};
  auto getenv = [&](const char* k) -> const char* {
    auto it = env.find(k);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  EXPECT_EQ(**parse_env("A=1", getenv), "A=1");
  EXPECT_EQ(**parse_env("A=", getenv), "A=");
  EXPECT_EQ(**parse_env("A=b=c", getenv), "A=b=c");
  EXPECT_EQ(**parse_env("HOME", getenv), "HOME=/root");
  EXPECT_FALSE(*parse_env("UNSET", getenv));
  EXPECT_EQ(parse_env("=x", getenv).error().message(), "invalid -e \"=x\": the variable has no name");
}

TEST(Memory, KubernetesAndDockerUnits) {
  EXPECT_EQ(*parse_memory("64Mi"), 64 << 20);
  EXPECT_EQ(*parse_memory("1G"), 1'000'000'000);
  EXPECT_EQ(*parse_memory("134217728"), 134217728);
  EXPECT_EQ(*parse_memory("64m"), 64 << 20);
  EXPECT_EQ(*parse_memory("1g"), int64_t{1} << 30);
  EXPECT_EQ(*parse_memory("512k"), 512 << 10);
  EXPECT_EQ(*parse_memory("100b"), 100);
  EXPECT_FALSE(parse_memory("0"));
  EXPECT_FALSE(parse_memory("lots"));
  EXPECT_FALSE(parse_memory(""));
  EXPECT_EQ(parse_memory("0Mi").error().message(), "invalid --memory \"0Mi\": must be more than 0");
}

TEST(Cpus, Quantities) {
  EXPECT_EQ(*parse_cpus("0.5"), 500);
  EXPECT_EQ(*parse_cpus("1.5"), 1500);
  EXPECT_EQ(*parse_cpus("250m"), 250);
  EXPECT_FALSE(parse_cpus("0"));
  EXPECT_FALSE(parse_cpus("half"));
}

TEST(ContainerRequest, BodyOfPostContainers) {
  RunOptions o{.image = "busybox",
               .command = {"httpd", "-f"},
               .name = "web",
               .publish = {"127.0.0.1:8080:80"},
               .env = {"K=V"},
               .memory = "64m",
               .cpus = "0.5",
               .pids_limit = 64,
               .read_only = true,
               .remove = true};
  auto body = container_request(o, [](const char*) -> const char* { return nullptr; });
  ASSERT_TRUE(body) << body.error().message();
  EXPECT_EQ(*body, nlohmann::json::parse(R"({"image":"busybox","command":["httpd","-f"],"name":"web",
      "ports":["127.0.0.1:8080:80/tcp"],"env":["K=V"],"memory":"67108864","cpus":"500m","pidsLimit":64,
      "readOnly":true,"remove":true})"));
  auto minimal =
      container_request(RunOptions{.image = "busybox"}, [](const char*) -> const char* { return nullptr; });
  EXPECT_EQ(*minimal, nlohmann::json::parse(R"({"image":"busybox"})"));
  o.publish = {"x"};
  EXPECT_FALSE(container_request(o, [](const char*) -> const char* { return nullptr; }));
}

TEST(ContainerRequest, InteractiveFields) {
  auto none = [](const char*) -> const char* { return nullptr; };
  auto it = container_request(
      RunOptions{
          .image = "busybox", .interactive = true, .tty = true, .terminal_cols = 120, .terminal_rows = 40},
      none);
  ASSERT_TRUE(it) << it.error().message();
  EXPECT_EQ(*it, nlohmann::json::parse(
                     R"({"image":"busybox","stdin":true,"tty":true,"terminalSize":{"cols":120,"rows":40}})"));
  // -t without a known size leaves it to the runtime; -i alone sends no terminal.
  auto t = container_request(RunOptions{.image = "busybox", .tty = true}, none);
  EXPECT_EQ(*t, nlohmann::json::parse(R"({"image":"busybox","tty":true})"));
  auto i = container_request(RunOptions{.image = "busybox", .interactive = true, .terminal_cols = 80}, none);
  EXPECT_EQ(*i, nlohmann::json::parse(R"({"image":"busybox","stdin":true})"));
}

}  // namespace
}  // namespace skiff::cmd
