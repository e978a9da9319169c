// A benchmark's command line, parsed strictly into the variables it sets.

#include "bench/args.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>

#include "bench/bench_support.h"

namespace skiff::bench {

namespace {

bool is_flag_name(const std::string& name) {
  return name.starts_with("--");
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

}  // namespace

Args& Args::add(Entry entry) {
  entry.positional = !is_flag_name(entry.name);
  if (entry.positional) entry.metavar = entry.name;
  entries_.push_back(std::move(entry));
  return *this;
}

Args& Args::integer(const std::string& name, int& target, const std::string& metavar, const std::string& help,
                    int min) {
  std::string expected = min == 1   ? "a positive integer"
                         : min == 0 ? "a non-negative integer"
                                    : "an integer of at least " + std::to_string(min);
  return add({.name = name,
              .metavar = metavar,
              .help = help + " (default " + std::to_string(target) + ")",
              .expected = expected,
              .set = [&target, min](const std::string& value) {
                int n = 0;
                auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
                if (ec != std::errc() || end != value.data() + value.size() || n < min) return false;
                target = n;
                return true;
              }});
}

Args& Args::text(const std::string& name, std::string& target, const std::string& metavar,
                 const std::string& help) {
  return add({.name = name,
              .metavar = metavar,
              .help = target.empty() ? help : help + " (default " + target + ")",
              .expected = "a value",
              .set = [&target](const std::string& value) {
                target = value;
                return true;
              }});
}

Args& Args::choice(const std::string& name, std::string& target, const std::vector<std::string>& choices,
                   const std::string& help) {
  return add({.name = name,
              .metavar = join(choices, "|"),
              .help = help + " (default " + target + ")",
              .expected = "one of " + join(choices, ", "),
              .set = [&target, choices](const std::string& value) {
                if (std::find(choices.begin(), choices.end(), value) == choices.end()) return false;
                target = value;
                return true;
              }});
}

Args& Args::flag(const std::string& name, bool& target, const std::string& help, bool value) {
  return add({.name = name,
              .metavar = "",
              .help = help,
              .expected = "no value",
              .set = [&target, value](const std::string&) {
                target = value;
                return true;
              }});
}

Args& Args::rest(const std::string& metavar, std::vector<std::string>& target, const std::string& help) {
  rest_ = &target;
  rest_metavar_ = metavar;
  rest_help_ = help;
  return *this;
}

Args& Args::required() {
  if (!entries_.empty() && entries_.back().positional) entries_.back().required = true;
  return *this;
}

Args& Args::skiffd_dirs(std::string& bin, std::string& source) {
  if (bin.empty()) bin = self_dir();
  add({.name = "--bin",
       .metavar = "DIR",
       .help = "where skiffd, skiff-monitor and skiff-runtime are (or skiffd itself) (default " + bin + ")",
       .expected = "a directory or a file",
       .set = [&bin](const std::string& value) {
         if (value.empty()) return false;
         std::filesystem::path path = std::filesystem::absolute(value);
         bin = std::filesystem::is_regular_file(path) ? path.parent_path().string() : path.string();
         return true;
       }});
  return text("--source", source, "DIR", "the source tree, for scripts/make-busybox-image");
}

std::optional<int> Args::set(Entry& e, const std::string& value) const {
  e.seen = true;
  if (e.set(value)) return std::nullopt;
  return fail(e.name + ": expected " + e.expected + ", got \"" + value + "\"");
}

std::optional<int> Args::parse(int argc, const char* const* argv) {
  bool only_positional = false;  // after "--"
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (!only_positional && arg == "--") {
      only_positional = true;
      continue;
    }
    if (!only_positional && (arg == "--help" || arg == "-h")) {
      std::fputs(usage().c_str(), stdout);
      return 0;
    }
    if (!only_positional && arg.size() > 1 && arg[0] == '-') {
      // --name VALUE or --name=VALUE
      size_t equals = arg.find('=');
      std::string name = arg.substr(0, equals);
      auto e = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& candidate) {
        return !candidate.positional && candidate.name == name;
      });
      if (e == entries_.end()) return fail(name + ": unknown flag");
      if (e->metavar.empty()) {
        if (equals != std::string::npos) return fail(name + ": takes no value");
        if (auto status = set(*e, "")) return status;
        continue;
      }
      std::string value;
      if (equals != std::string::npos) {
        value = arg.substr(equals + 1);
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        return fail(name + ": expected " + e->expected + " (" + e->metavar + "), got nothing");
      }
      if (auto status = set(*e, value)) return status;
      continue;
    }
    auto e = std::find_if(entries_.begin(), entries_.end(),
                          [](const Entry& candidate) { return candidate.positional && !candidate.seen; });
    if (e != entries_.end()) {
      if (auto status = set(*e, arg)) return status;
    } else if (rest_ != nullptr) {
      rest_->push_back(arg);
    } else {
      return fail("\"" + arg + "\": unexpected argument");
    }
  }
  for (const auto& e : entries_)
    if (e.required && !e.seen) return fail(e.name + ": missing");
  return std::nullopt;
}

int Args::fail(const std::string& message) const {
  std::fprintf(stderr, "%s: %s\n%s", program_.c_str(), message.c_str(), usage().c_str());
  return 2;
}

std::string Args::usage() const {
  std::string synopsis = "usage: " + program_ + " [options]";
  std::vector<std::pair<std::string, std::string>> lines;  // "  --pods N", help
  for (const auto& e : entries_) {
    if (e.positional) synopsis += e.required ? " " + e.name : " [" + e.name + "]";
    lines.emplace_back("  " + e.name + (e.positional || e.metavar.empty() ? "" : " " + e.metavar), e.help);
  }
  if (rest_ != nullptr) {
    synopsis += " [" + rest_metavar_ + "...]";
    lines.emplace_back("  " + rest_metavar_ + "...", rest_help_);
  }
  lines.emplace_back("  --help", "print this and exit");
  // The help in one column; a flag too wide for it has its help on the next line.
  constexpr size_t kMaxWidth = 24;
  size_t width = 0;
  for (const auto& [left, help] : lines)
    if (left.size() <= kMaxWidth) width = std::max(width, left.size());
  std::string out = synopsis + "\n";
  for (const auto& [left, help] : lines) {
    out += left;
    out +=
        left.size() <= width ? std::string(width + 2 - left.size(), ' ') : "\n" + std::string(width + 2, ' ');
    out += help + "\n";
  }
  return out;
}

}  // namespace skiff::bench
