#pragma once
// `skiff run`'s flags checked before anything is sent, so a typo is reported against the
// flag that holds it: -p, -e, --memory, --cpus, and the POST /v1/containers body they make.

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace skiff::cmd {

/// `-p [IP:]HOST:CTR[/PROTO]` as the API takes it: "127.0.0.1:8080:80/tcp", "8080:80/udp".
common::Result<std::string> parse_publish(std::string_view spec);

/// `-e K=V` as is; `-e K` takes K from skiff's own environment (via `getenv`), as docker does,
/// and gives nullopt when K is unset there.
common::Result<std::optional<std::string>> parse_env(std::string_view spec,
                                                     const std::function<const char*(const char*)>& getenv);

/// `--memory`: a Kubernetes quantity ("64Mi", "1G", "134217728") or docker's lowercase
/// one-letter binary units ("64m", "1g", "512k", "100b"), which users of `run` type. Bytes, > 0.
common::Result<int64_t> parse_memory(std::string_view text);

/// `--cpus`: "0.5", "1.5", "500m". Millicores, > 0.
common::Result<int64_t> parse_cpus(std::string_view text);

struct RunOptions {
  std::string image;
  std::vector<std::string> command{};
  std::string name{};
  std::vector<std::string> publish{};
  std::vector<std::string> env{};
  std::string memory{};
  std::string cpus{};
  int64_t pids_limit = 0;  ///< 0: not set
  bool read_only = false;
  bool remove = false;
  bool interactive = false;  ///< -i: stdin goes to the container ("stdin":true)
  bool tty = false;          ///< -t: the container gets a terminal ("tty":true)
  int terminal_cols = 0;     ///< with tty: the terminal's size, sent when both are known
  int terminal_rows = 0;
};

/// The body of POST /v1/containers; every flag checked, errors naming it:
/// `invalid -p "80": want [IP:]HOST:CONTAINER[/PROTOCOL]`.
common::Result<nlohmann::json> container_request(const RunOptions& opts,
                                                 const std::function<const char*(const char*)>& getenv);

}  // namespace skiff::cmd
