#include "cmd/skiff/cli.h"

#include <cstdio>

namespace skiff::cmd {

using common::Error;
using common::Result;

Result<json> Context::call(std::string_view method, std::string_view path,
                           const std::optional<json>& body) const {
  std::optional<std::string> text;
  if (body) text = body->dump();
  auto r = client_.request(method, path, text);
  if (!r) return std::move(r).error();
  // A 404 keeps ENOENT, so a caller can tell "no such thing" from other failures.
  if (!r->ok()) return Error(client::error_message(*r), r->status == 404 ? ENOENT : EIO);
  if (r->body.empty()) return json::object();
  auto j = json::parse(r->body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Error(std::string(method) + " " + std::string(path) + ": skiffd answered with invalid JSON");
  }
  return j;
}

CLI::Option* add_output_flag(CLI::App* sub, std::string& output, const std::vector<std::string>& choices) {
  std::string names;
  for (const auto& c : choices) names += (names.empty() ? "" : "|") + c;
  return sub->add_option("-o,--output", output, "output format: " + names)->check(CLI::IsMember(choices));
}

void print_json(const json& j) {
  std::string text = j.dump(4);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
}

const json& list_items(const json& list) {
  static const json kEmpty = json::array();
  auto it = list.find("items");
  return it != list.end() && it->is_array() ? *it : kEmpty;
}

Error not_supported(std::string_view what) {
  return Error(std::string(what) + " is not supported yet: skiffd's API (docs/api.md) has no route for it");
}

}  // namespace skiff::cmd
