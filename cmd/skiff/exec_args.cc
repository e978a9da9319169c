#include "cmd/skiff/exec_args.h"

namespace skiff::cmd {

using common::Error;
using common::Result;

namespace {

Error unknown_flag(std::string_view word) {
  return Error("exec: unknown flag \"" + std::string(word) + "\" (put the command after --)");
}

common::Status set_container(ExecOptions& o, std::string value) {
  if (value.empty()) return Error("exec: -c: the container name is empty");
  o.container = std::move(value);
  return {};
}

/// Applies the option at words[i] (advancing i past a separate value); an error when it
/// is not one of exec's.
common::Status apply_option(ExecOptions& o, const std::vector<std::string>& words, size_t& i) {
  const std::string& w = words[i];
  auto value_after = [&](std::string_view flag) -> Result<std::string> {
    if (i + 1 >= words.size()) return Error("exec: flag " + std::string(flag) + " needs a container name");
    return words[++i];
  };
  if (w.starts_with("--")) {
    if (w == "--interactive") {
      o.interactive = true;
    } else if (w == "--tty") {
      o.tty = true;
    } else if (w == "--container") {
      auto v = value_after(w);
      if (!v) return std::move(v).error();
      return set_container(o, *v);
    } else if (w.starts_with("--container=")) {
      return set_container(o, w.substr(std::string_view("--container=").size()));
    } else {
      return unknown_flag(w);
    }
    return {};
  }
  // Short options, grouped as getopt groups them: -it, -ti, -cmain, -ic main.
  for (size_t k = 1; k < w.size(); ++k) {
    switch (w[k]) {
      case 'i':
        o.interactive = true;
        break;
      case 't':
        o.tty = true;
        break;
      case 'c': {
        if (k + 1 < w.size()) return set_container(o, w.substr(k + 1));
        auto v = value_after("-c");
        if (!v) return std::move(v).error();
        return set_container(o, *v);
      }
      default:
        return unknown_flag(w);
    }
  }
  return {};
}

}  // namespace

Result<ExecOptions> parse_exec_words(ExecOptions o, const std::vector<std::string>& words) {
  size_t i = 0;
  if (i < words.size() && words[i] == "--") ++i;
  if (i >= words.size()) return Error("exec: a pod or container NAME is required");
  if (words[i].starts_with("-")) return unknown_flag(words[i]);
  o.name = words[i++];
  while (i < words.size()) {
    const std::string& w = words[i];
    if (w == "--") {
      ++i;
      break;
    }
    if (w.size() < 2 || w.front() != '-') break;  // the command ("-" alone is a word too)
    if (auto st = apply_option(o, words, i); !st) return std::move(st).error();
    ++i;
  }
  o.command.assign(words.begin() + static_cast<std::ptrdiff_t>(i), words.end());
  if (o.command.empty()) return Error("exec: a COMMAND is required: skiff exec NAME [--] COMMAND [ARG...]");
  return o;
}

nlohmann::json exec_request(const ExecOptions& opts, const std::optional<TerminalSize>& size) {
  nlohmann::json body{{"command", opts.command}};
  if (!opts.container.empty()) body["container"] = opts.container;
  if (opts.interactive) body["stdin"] = true;
  if (opts.tty) body["tty"] = true;
  if (opts.tty && size && size->cols > 0 && size->rows > 0 && size->cols <= 65535 && size->rows <= 65535)
    body["terminalSize"] = {{"cols", size->cols}, {"rows", size->rows}};
  return body;
}

common::Status check_terminal(const ExecOptions& opts, bool stdin_is_terminal) {
  if (opts.interactive && opts.tty && !stdin_is_terminal)
    return Error("exec: the input device is not a TTY (use -i without -t to pass piped input)");
  return {};
}

ExecLine parse_exec_line(std::string_view line) {
  ExecLine out;
  auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return out;
  if (auto it = j.find("output"); it != j.end() && it->is_string()) out.output = it->get<std::string>();
  if (auto it = j.find("exitCode"); it != j.end() && it->is_number_integer()) out.exit_code = it->get<int>();
  if (auto it = j.find("error"); it != j.end() && it->is_string()) out.error = it->get<std::string>();
  return out;
}

}  // namespace skiff::cmd
