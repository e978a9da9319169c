#include "cmd/skiff/run_args.h"

#include <cctype>

#include "common/strings.h"
#include "scheduler/quantity.h"

namespace skiff::cmd {

using common::Error;
using common::Result;

namespace {

Result<uint64_t> parse_port(std::string_view s) {
  auto n = common::parse_u64(s);
  if (!n || *n == 0 || *n > 65535) return Error("port \"" + std::string(s) + "\" is not in 1-65535");
  return *n;
}

bool is_ipv4(std::string_view s) {
  auto parts = common::split(s, '.', /*skip_empty=*/false);
  if (parts.size() != 4) return false;
  for (auto p : parts) {
    if (p.empty() || p.size() > 3) return false;
    for (char c : p) {
      if (c < '0' || c > '9') return false;
    }
    if (std::stoi(std::string(p)) > 255) return false;
  }
  return true;
}

}  // namespace

Result<std::string> parse_publish(std::string_view spec) {
  auto bad = [&](const std::string& why) {
    return Error("invalid -p \"" + std::string(spec) + "\": " + why);
  };
  std::string_view body = spec;
  std::string proto = "tcp";
  if (size_t slash = body.find('/'); slash != std::string_view::npos) {
    proto = std::string(body.substr(slash + 1));
    for (char& c : proto) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (proto != "tcp" && proto != "udp") return bad("protocol must be tcp or udp");
    body = body.substr(0, slash);
  }
  auto parts = common::split(body, ':', /*skip_empty=*/false);
  if (parts.size() < 2 || parts.size() > 3) return bad("want [IP:]HOST:CONTAINER[/PROTOCOL]");
  std::string out;
  if (parts.size() == 3) {
    if (!is_ipv4(parts[0])) return bad("\"" + std::string(parts[0]) + "\" is not an IPv4 address");
    out = std::string(parts[0]) + ":";
  }
  auto host = parse_port(parts[parts.size() - 2]);
  if (!host) return bad(host.error().message());
  auto ctr = parse_port(parts.back());
  if (!ctr) return bad(ctr.error().message());
  return out + std::to_string(*host) + ":" + std::to_string(*ctr) + "/" + proto;
}

Result<std::optional<std::string>> parse_env(std::string_view spec,
                                             const std::function<const char*(const char*)>& getenv) {
  size_t eq = spec.find('=');
  std::string name(spec.substr(0, eq));
  if (name.empty()) return Error("invalid -e \"" + std::string(spec) + "\": the variable has no name");
  if (eq != std::string_view::npos) return std::optional<std::string>(std::string(spec));
  const char* value = getenv(name.c_str());
  if (value == nullptr) return std::optional<std::string>();
  return std::optional<std::string>(name + "=" + value);
}

Result<int64_t> parse_memory(std::string_view text) {
  std::string_view t = common::trim(text);
  Result<int64_t> bytes = int64_t{0};
  char last = t.empty() ? '\0' : t.back();
  bool docker_unit = t.size() >= 2 && std::isdigit(static_cast<unsigned char>(t[t.size() - 2])) &&
                     (last == 'b' || last == 'k' || last == 'm' || last == 'g');
  if (docker_unit) {
    auto n = common::parse_u64(t.substr(0, t.size() - 1));
    int shift = last == 'b' ? 0 : last == 'k' ? 10 : last == 'm' ? 20 : 30;
    if (!n || *n > (uint64_t{1} << (62 - shift))) {
      return Error("invalid --memory \"" + std::string(text) + "\": not a size such as 64Mi or 64m");
    }
    bytes = static_cast<int64_t>(*n << shift);
  } else {
    bytes = scheduler::parse_bytes(t);
    if (!bytes) return Error("invalid --memory \"" + std::string(text) + "\": " + bytes.error().message());
  }
  if (*bytes <= 0) return Error("invalid --memory \"" + std::string(text) + "\": must be more than 0");
  return *bytes;
}

Result<int64_t> parse_cpus(std::string_view text) {
  auto millis = scheduler::parse_cpu_millis(common::trim(text));
  if (!millis) return Error("invalid --cpus \"" + std::string(text) + "\": " + millis.error().message());
  if (*millis <= 0) return Error("invalid --cpus \"" + std::string(text) + "\": must be more than 0");
  return *millis;
}

Result<nlohmann::json> container_request(const RunOptions& opts,
                                         const std::function<const char*(const char*)>& getenv) {
  nlohmann::json body = {{"image", opts.image}};
  if (!opts.name.empty()) body["name"] = opts.name;
  if (!opts.command.empty()) body["command"] = opts.command;
  nlohmann::json env = nlohmann::json::array();
  for (const auto& e : opts.env) {
    auto v = parse_env(e, getenv);
    if (!v) return std::move(v).error();
    if (*v) env.push_back(**v);
  }
  if (!env.empty()) body["env"] = env;
  nlohmann::json ports = nlohmann::json::array();
  for (const auto& p : opts.publish) {
    auto v = parse_publish(p);
    if (!v) return std::move(v).error();
    ports.push_back(*v);
  }
  if (!ports.empty()) body["ports"] = ports;
  if (!opts.memory.empty()) {
    auto bytes = parse_memory(opts.memory);
    if (!bytes) return std::move(bytes).error();
    // Sent in bytes: unambiguous whichever unit convention the user typed.
    body["memory"] = std::to_string(*bytes);
  }
  if (!opts.cpus.empty()) {
    auto millis = parse_cpus(opts.cpus);
    if (!millis) return std::move(millis).error();
    body["cpus"] = scheduler::format_cpu_millis(*millis);
  }
  if (opts.pids_limit != 0) {
    if (opts.pids_limit < 0)
      return Error("invalid --pids-limit " + std::to_string(opts.pids_limit) + ": must be more than 0");
    body["pidsLimit"] = opts.pids_limit;
  }
  if (opts.read_only) body["readOnly"] = true;
  if (opts.remove) body["remove"] = true;
  if (opts.interactive) body["stdin"] = true;
  if (opts.tty) {
    body["tty"] = true;
    if (opts.terminal_cols > 0 && opts.terminal_rows > 0)
      body["terminalSize"] = {{"cols", opts.terminal_cols}, {"rows", opts.terminal_rows}};
  }
  return body;
}

}  // namespace skiff::cmd
