#pragma once
// What skiff's command groups share: the context a command runs with and the way each
// group registers its CLI11 subcommands. One file per group (images.cc, containers.cc,
// objects.cc, workloads.cc) defines its add_*_commands().

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "client/client.h"
#include "common/error.h"

namespace skiff::cmd {

using nlohmann::json;

/// What a command runs with, built after parsing (the socket may come from --socket).
class Context {
 public:
  Context(std::string socket, bool stdout_tty, int64_t now)
      : client_(std::move(socket)), stdout_tty_(stdout_tty), now_(now) {}

  const client::Client& client() const { return client_; }
  bool stdout_tty() const { return stdout_tty_; }
  /// The time tables measure ages from, seconds since the epoch.
  int64_t now() const { return now_; }

  /// Sends a request and decodes its JSON answer; a non-2xx answer is an error carrying the
  /// Status message.
  common::Result<json> call(std::string_view method, std::string_view path,
                            const std::optional<json>& body = std::nullopt) const;
  common::Result<json> get(std::string_view path) const { return call("GET", path); }

 private:
  client::Client client_;
  bool stdout_tty_;
  int64_t now_;
};

/// A command's work: the exit code, or an error that main prints as "error: <message>" (exit 1).
using Action = std::function<common::Result<int>(Context&)>;

/// Where the parsed subcommand leaves its action for main to run.
struct Dispatch {
  Action action{};
};

/// Sets `sub`'s callback to store `action` for main; returns `sub` for chaining.
inline CLI::App* on_run(CLI::App* sub, Dispatch& d, Action action) {
  sub->callback([&d, action = std::move(action)] { d.action = action; });
  return sub;
}

/// Adds `-o, --output` restricted to `choices` ("json", "wide").
CLI::Option* add_output_flag(CLI::App* sub, std::string& output, const std::vector<std::string>& choices);
/// Prints JSON as `-o json` does (4-space indent, like kubectl).
void print_json(const json& j);
/// The `items` of a List answer (an empty array if absent).
const json& list_items(const json& list);
/// An error for a command the API cannot serve yet.
common::Error not_supported(std::string_view what);
/// Pulls `reference` for `skiff run` (progress on stderr, as podman run shows it).
common::Status pull_for_run(Context& ctx, const std::string& reference);

void add_image_commands(CLI::App& app, Dispatch& d);
void add_container_commands(CLI::App& app, Dispatch& d);
void add_object_commands(CLI::App& app, Dispatch& d);
void add_workload_commands(CLI::App& app, Dispatch& d);

}  // namespace skiff::cmd
