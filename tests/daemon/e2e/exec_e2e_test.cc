// skiffd end to end (issue 6): `POST /v1/pods/{name}/exec` and `skiff exec` on real
// containers: output streamed as NDJSON, the exit code, errors before the command starts,
// and a command stopped when its client goes away. The fixture is skiffd_fixture.h.

#include <optional>

#include "tests/daemon/e2e/skiffd_fixture.h"

namespace skiff::e2e {
namespace {

using skiff::daemon::http::testing::connect_raw;
using skiff::daemon::http::testing::read_until;
using skiff::daemon::http::testing::send_all;

class SkiffdExec : public Skiffd {
 protected:
  /// Starts `skiff run`'s container `name` running `command` and waits until it runs.
  void run_container(const std::string& name, const std::string& command) {
    auto created =
        api().request("POST", "/v1/containers",
                      json{{"name", name}, {"image", "busybox"}, {"command", {"sh", "-c", command}}}.dump());
    ASSERT_EQ(created.status, 201) << created.body << daemon_log();
  }

  std::string container_state(const std::string& name) {
    auto reply = api().get("/v1/containers/" + name);
    return reply.status == 200 ? json::parse(reply.body).value("state", "") : "";
  }
};

TEST_F(SkiffdExec, StreamsTheOutputAndTheExitCode) {
  std::string pod = running_pod_of("exec");
  ASSERT_FALSE(pod.empty());

  auto r = sh(pod, "echo out; echo err >&2; exit 3");
  ASSERT_EQ(r.status, 200) << r.body << daemon_log();
  EXPECT_EQ(r.content_type, "application/x-ndjson");
  EXPECT_EQ(r.output, "out\nerr\n");
  EXPECT_EQ(r.exit_code, 3) << r.body;

  // The container named explicitly; the command sees the pod's hostname.
  auto named = exec(pod, json{{"container", "main"}, {"command", {"cat", "/etc/hostname"}}});
  ASSERT_EQ(named.status, 200) << named.body;
  EXPECT_EQ(named.output, pod + "\n");
  EXPECT_EQ(named.exit_code, 0);

  // Much output, in many chunks, arrives whole and in order.
  std::string expected;
  for (int i = 1; i <= 20000; ++i) expected += std::to_string(i) + "\n";
  auto many = sh(pod, "seq 1 20000");
  ASSERT_EQ(many.status, 200) << many.body.substr(0, 200);
  EXPECT_EQ(many.output.size(), expected.size());
  EXPECT_TRUE(many.output == expected);
  EXPECT_EQ(many.exit_code, 0);

  // UTF-8 passes through; bytes that are not UTF-8 become U+FFFD, not a broken stream.
  auto text = sh(pod, R"(printf '\303\251t\303\251 \377\n')");
  ASSERT_EQ(text.status, 200) << text.body;
  EXPECT_EQ(text.output, "\xC3\xA9t\xC3\xA9 \xEF\xBF\xBD\n");
  EXPECT_EQ(text.exit_code, 0);

  // A program that does not exist: 126, and the output says why.
  auto missing = exec(pod, json{{"command", {"/no/such/program"}}});
  ASSERT_EQ(missing.status, 200) << missing.body;
  ASSERT_TRUE(missing.exit_code);
  EXPECT_EQ(*missing.exit_code, 126) << missing.output;  // as docker exec reports it
  EXPECT_NE(missing.output.find("no such file or directory"), std::string::npos) << missing.output;

  // The command ends even though a child it left behind holds the output open.
  auto started = std::chrono::steady_clock::now();
  auto background = sh(pod, "sleep 30 & echo left");
  EXPECT_EQ(background.output, "left\n");
  EXPECT_EQ(background.exit_code, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

TEST_F(SkiffdExec, ErrorsBeforeTheCommandStarts) {
  std::string pod = running_pod_of("exec");
  ASSERT_FALSE(pod.empty());
  auto status_of = [](const ExecReply& r) { return json::parse(r.body, nullptr, false); };

  auto unknown_pod = sh("nope", "true");
  EXPECT_EQ(unknown_pod.status, 404) << unknown_pod.body;
  EXPECT_EQ(status_of(unknown_pod)["message"], "pod \"nope\" not found");
  EXPECT_EQ(status_of(unknown_pod)["kind"], "Status");

  auto unknown_container = exec(pod, json{{"container", "nope"}, {"command", {"true"}}});
  EXPECT_EQ(unknown_container.status, 400) << unknown_container.body;
  EXPECT_EQ(status_of(unknown_container)["message"], "container nope is not valid for pod " + pod);

  auto no_command = exec(pod, json{{"command", json::array()}});
  EXPECT_EQ(no_command.status, 400) << no_command.body;
  EXPECT_EQ(status_of(no_command)["message"],
            "request body: \"command\" must be a non-empty array of strings");
  auto no_body = api().request("POST", "/v1/pods/" + pod + "/exec");
  EXPECT_EQ(no_body.status, 400) << no_body.body;
  auto unknown_field = exec(pod, json{{"command", {"true"}}, {"stdin", true}});
  EXPECT_EQ(unknown_field.status, 400) << unknown_field.body;

  // A container that has exited: 409.
  run_container("ended", "true");
  ASSERT_TRUE(eventually([&] { return container_state("ended") == "exited"; })) << daemon_log();
  auto ended = sh("ended", "true");
  EXPECT_EQ(ended.status, 409) << ended.body;
  EXPECT_EQ(status_of(ended)["message"], "container \"ended\" in pod \"ended\" is not running");
  EXPECT_EQ(status_of(ended)["reason"], "Conflict");
}

TEST_F(SkiffdExec, ACommandIsStoppedWhenItsClientGoesAway) {
  std::string pod = running_pod_of("exec");
  ASSERT_FALSE(pod.empty());
  // The bracket keeps grep from finding itself.
  const std::string find_it = R"(ps | grep '[s]leep 4242')";
  std::string body = json{{"command", {"sh", "-c", "echo started; exec sleep 4242"}}}.dump();
  {
    auto fd = connect_raw(socket_);
    send_all(fd.get(), "POST /v1/pods/" + pod +
                           "/exec HTTP/1.1\r\nHost: skiff\r\nContent-Type: application/json\r\n"
                           "Content-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n" + body);
    std::string got = read_until(fd.get(), "started");
    ASSERT_NE(got.find("started"), std::string::npos) << got << daemon_log();
    EXPECT_NE(got.find("application/x-ndjson"), std::string::npos) << got;
    EXPECT_EQ(sh(pod, find_it).exit_code, 0) << "the command should be running";
  }  // the client hangs up
  EXPECT_TRUE(eventually([&] { return sh(pod, find_it).exit_code == 1; }, std::chrono::seconds(20)))
      << "the command still runs after its client left";
}

TEST_F(SkiffdExec, SkiffExecInARunContainer) {
  run_container("box", "sleep 1000");
  ASSERT_TRUE(eventually([&] { return container_state("box") == "running"; })) << daemon_log();
  auto r = skiff::testing::run_command(
      {SKIFF_BIN, "--socket", socket_, "exec", "box", "--", "sh", "-c", "echo hi; echo there >&2; exit 7"});
  EXPECT_EQ(r.exit_code, 7) << r.err;
  EXPECT_EQ(r.out, "hi\nthere\n");
  EXPECT_EQ(r.err, "");

  auto bad =
      skiff::testing::run_command({SKIFF_BIN, "--socket", socket_, "exec", "-c", "nope", "box", "true"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.err, "error: container nope is not valid for pod box\n");
}

}  // namespace
}  // namespace skiff::e2e
