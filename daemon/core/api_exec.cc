// `skiff exec` (docs/api.md "Exec"): a command run in a pod's running container through
// `skiff-monitor --mode exec` (ExecProcess), its output (stdout and stderr merged) streamed
// back as NDJSON while it runs, then its exit code. The handler's thread does the waiting;
// the controller is not involved (the pod is only read). A client that hangs up, or a
// daemon that stops, stops the command.

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <string_view>

#include "daemon/core/api.h"
#include "daemon/core/exec_session.h"
#include "daemon/monitor/exec_process.h"

namespace skiff::daemon {

using nlohmann::json;

namespace {

/// How long one wait for output lasts before the command's end is looked at again (it may
/// end while a background child keeps the output pipe open).
constexpr auto kPoll = std::chrono::milliseconds(200);
/// Reads per turn of the loop, so a command that writes without pause cannot keep the
/// handler from noticing its end or a departed client.
constexpr int kReadsPerTurn = 16;

struct ExecRequest {
  std::string container{};  ///< empty: the pod's only container
  std::vector<std::string> command{};
  bool input = false;  ///< "stdin"
  bool tty = false;
  std::optional<TerminalSize> terminal_size{};
};

/// The body `{"container":"main","command":["sh","-c","..."],"stdin":false,"tty":false,
/// "terminalSize":{"cols":80,"rows":24}}`, or the 400 message.
common::Result<ExecRequest> parse_exec_request(const json& body) {
  using common::Error;
  if (!body.is_object()) return Error("request body: must be a JSON object", EINVAL);
  for (const auto& [key, value] : body.items())
    if (key != "container" && key != "command" && key != "stdin" && key != "tty" && key != "terminalSize")
      return Error("request body: unknown field \"" + key + "\"", EINVAL);
  ExecRequest r;
  auto input = bool_field(body, "stdin");
  if (!input) return std::move(input).error();
  r.input = *input;
  auto tty = bool_field(body, "tty");
  if (!tty) return std::move(tty).error();
  r.tty = *tty;
  auto size = terminal_size_field(body);
  if (!size) return std::move(size).error();
  r.terminal_size = *size;
  if (body.contains("container")) {
    if (!body["container"].is_string()) return Error("request body: \"container\" must be a string", EINVAL);
    r.container = body["container"].get<std::string>();
  }
  const char* bad_command = "request body: \"command\" must be a non-empty array of strings";
  if (!body.contains("command") || !body["command"].is_array() || body["command"].empty())
    return Error(bad_command, EINVAL);
  for (const auto& arg : body["command"]) {
    if (!arg.is_string()) return Error(bad_command, EINVAL);
    r.command.push_back(arg.get<std::string>());
  }
  if (r.command.front().empty()) return Error("request body: \"command\"[0]: the program is empty", EINVAL);
  return r;
}

/// How many bytes at the end of `s` start a UTF-8 sequence that the next read completes;
/// they are held back so that a character split between two reads is not mangled.
size_t incomplete_utf8_tail(std::string_view s) {
  size_t limit = std::min<size_t>(3, s.size());
  for (size_t back = 1; back <= limit; ++back) {
    auto c = static_cast<unsigned char>(s[s.size() - back]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: look further back
    size_t length = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    return length > back ? back : 0;
  }
  return 0;
}

/// One NDJSON line; bytes that are not UTF-8 become U+FFFD rather than an exception.
std::string json_line(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

/// The pidfd says the helper has ended (without blocking).
bool ended(const ExecProcess& process) {
  pollfd p{.fd = process.pidfd(), .events = POLLIN, .revents = 0};
  return ::poll(&p, 1, 0) > 0;
}

/// Streams `process`'s output and then its exit code to `stream`; stops the command when
/// the client goes away.
class OutputPump {
 public:
  OutputPump(ExecProcess& process, http::Stream& stream) : process_(process), stream_(stream) {}

  void run() {
    bool done = false;
    while (!done) {
      // While the output is open, wait on it; once it is closed, on the end of the helper.
      int fd = output_open_ ? process_.output() : process_.pidfd();
      http::Wake wake = stream_.wait_readable(fd, kPoll);
      if (wake == http::Wake::Gone) return process_.stop();
      if (output_open_ && wake == http::Wake::Ready && !read_some(kReadsPerTurn)) return process_.stop();
      done = !output_open_ && wake == http::Wake::Ready;
      done = done || ended(process_);
    }
    // The command has ended: what it wrote is in the pipe by now. Whatever a child left
    // running writes later is not waited for.
    if (!read_some(-1) || !send(pending_)) return process_.stop();
    auto code = process_.wait();
    if (!code) {
      stream_.write(json_line({{"error", code.error().message()}}));
      return;
    }
    stream_.write(json_line({{"exitCode", *code}}));
  }

 private:
  /// Reads up to `reads` times (-1: until nothing is left) and sends what came; false
  /// once the client is gone.
  bool read_some(int reads) {
    std::array<char, size_t{64} * 1024> buf{};
    std::string chunk;
    for (int i = 0; output_open_ && (reads < 0 || i < reads); ++i) {
      ssize_t n = ::read(process_.output(), buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n <= 0) {
        output_open_ = false;  // EOF (or an error, which ends the output the same way)
        break;
      }
      pending_.append(buf.data(), static_cast<size_t>(n));
      size_t hold = output_open_ ? incomplete_utf8_tail(pending_) : 0;
      chunk = pending_.substr(0, pending_.size() - hold);
      pending_.erase(0, pending_.size() - hold);
      if (!send(chunk)) return false;
    }
    return true;
  }

  bool send(const std::string& text) {
    if (text.empty()) return stream_.alive();
    return stream_.write(json_line({{"output", text}}));
  }

  ExecProcess& process_;
  http::Stream& stream_;
  bool output_open_ = true;
  std::string pending_{};  ///< the start of a UTF-8 character whose rest is still to come
};

}  // namespace

common::Result<bool> bool_field(const json& body, const char* name) {
  if (!body.contains(name)) return false;
  if (!body[name].is_boolean())
    return common::Error(std::string("request body: \"") + name + "\" must be true or false", EINVAL);
  return body[name].get<bool>();
}

common::Result<std::optional<TerminalSize>> terminal_size_field(const json& body) {
  using common::Error;
  if (!body.contains("terminalSize")) return std::optional<TerminalSize>();
  const json& t = body["terminalSize"];
  const char* bad = "request body: \"terminalSize\" must be {\"cols\":N,\"rows\":N} with N in 1..65535";
  if (!t.is_object() || t.size() != 2) return Error(bad, EINVAL);
  TerminalSize size;
  for (const auto& [key, value] : t.items()) {
    if ((key != "cols" && key != "rows") || !value.is_number_integer()) return Error(bad, EINVAL);
    auto n = value.get<int64_t>();
    if (n < 1 || n > 65535) return Error(bad, EINVAL);
    (key == "cols" ? size.cols : size.rows) = static_cast<uint16_t>(n);
  }
  return std::optional<TerminalSize>(size);
}

/// The request asks to switch to exec frames: `Connection: Upgrade` (a token of the
/// list) and `Upgrade: skiff-exec`.
bool wants_exec_upgrade(const http::Request& req) {
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  auto connection = req.header("connection");
  auto upgrade = req.header("upgrade");
  if (!connection || !upgrade) return false;
  std::string tokens = lower(*connection);
  bool has_upgrade_token = false;
  for (size_t start = 0; start <= tokens.size();) {
    size_t end = std::min(tokens.find(',', start), tokens.size());
    std::string_view token = std::string_view(tokens).substr(start, end - start);
    while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
    if (token == "upgrade") has_upgrade_token = true;
    start = end + 1;
  }
  return has_upgrade_token && lower(*upgrade) == kExecUpgradeProtocol;
}

void add_exec_routes(http::Router& router, ApiContext& api) {
  router.post("/v1/pods/{name}/exec", [&api](const http::Request& req, http::Response& res) {
    auto body = req.json_body();
    if (!body) return res.error(400, body.error().message());
    auto request = parse_exec_request(*body);
    if (!request) return res.error(400, request.error().message());
    bool upgrade = wants_exec_upgrade(req);
    if ((request->input || request->tty) && !upgrade)
      return res.error(400,
                       "\"stdin\" and \"tty\" need an upgraded connection (Connection: Upgrade, Upgrade: " +
                           std::string(kExecUpgradeProtocol) + ")");
    std::string name(req.param("name"));
    auto pod = api.store.get_pod(name);
    if (!pod) return reply_error(res, pod.error());
    if (!*pod) return res.error(404, "pod \"" + name + "\" not found");
    auto selected = select_container(**pod, request->container);
    if (!selected) return res.error(400, selected.error().message());
    const std::string& container = *selected;
    const ContainerRecord* record = nullptr;
    for (const auto& c : (*pod)->containers)
      if (c.name == container) record = &c;
    if (record == nullptr || record->runtime_id.empty() ||
        !std::holds_alternative<scheduler::ContainerStateRunning>(record->state))
      return res.error(409, "container \"" + container + "\" in pod \"" + name + "\" is not running",
                       "Conflict");

    auto process = ExecProcess::start({.container_id = record->runtime_id,
                                       .runtime_root = api.config.runtime_root,
                                       .command = request->command,
                                       .monitor_binary = api.config.monitor_binary,
                                       .stdin_pipe = upgrade && request->input && !request->tty,
                                       .separate_stderr = upgrade && !request->tty,
                                       .tty = upgrade && request->tty,
                                       .terminal_size = request->terminal_size});
    if (!process)
      return res.error(500, "exec in container \"" + container + "\": " + process.error().message());
    if (upgrade) {
      http::Upgraded& connection = res.upgrade(kExecUpgradeProtocol);
      run_exec_session(*process, connection, {.input = request->input, .tty = request->tty});
      return;
    }
    http::Stream& stream = res.stream("application/x-ndjson");
    OutputPump(*process, stream).run();
    // ~ExecProcess reaps a helper that was stopped.
  });
}

}  // namespace skiff::daemon
