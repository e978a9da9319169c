// Opening the store, its clock, resource versions and the small formats it hands out.

#include "daemon/store/state_store.h"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <random>

#include "daemon/store/store_util.h"

namespace skiff::daemon {

using common::Error;
using common::Result;
using common::Status;

namespace store_detail {

Result<json> parse_column(const common::Database& db, const std::string& text, const std::string& what) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Error(db.path() + ": " + what + ": stored JSON does not parse", EIO);
  return j;
}

Status check_kind(std::string_view kind) {
  if (kind == "Deployment" || kind == "Service" || kind == "HorizontalPodAutoscaler") return {};
  return invalid("kind: unsupported value \"" + std::string(kind) +
                 "\": supported values: \"Deployment\", \"HorizontalPodAutoscaler\", \"Service\"");
}

}  // namespace store_detail

const char* to_string(ApplyAction action) {
  switch (action) {
    case ApplyAction::Created:
      return "created";
    case ApplyAction::Configured:
      return "configured";
    case ApplyAction::Unchanged:
      break;
  }
  return "unchanged";
}

std::string random_uuid() {
  std::array<unsigned char, 16> bytes{};
  size_t filled = 0;
  // getrandom from the urandom pool never blocks after boot; a short read only happens on a
  // signal, so read the rest.
  while (filled < bytes.size()) {
    ssize_t n = ::getrandom(bytes.data() + filled, bytes.size() - filled, 0);
    if (n > 0) {
      filled += static_cast<size_t>(n);
    } else if (n < 0 && errno != EINTR) {
      // No getrandom (a very old kernel or a seccomp filter): random_device reads urandom.
      std::random_device device;
      for (; filled < bytes.size(); ++filled) bytes[filled] = static_cast<unsigned char>(device());
    }
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  std::string out;
  out.reserve(36);
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0x0F]);
  }
  return out;
}

StateStore::StateStore(common::Database db, StoreOptions options)
    : db_(std::move(db)), options_(std::move(options)), mutex_(std::make_unique<std::mutex>()) {
  if (!options_.clock) options_.clock = [] { return std::chrono::system_clock::now(); };
}

Result<StateStore> StateStore::open(const std::string& path, StoreOptions options) {
  if (options.max_events < 1) return store_detail::invalid("max_events: must be at least 1");
  auto db = common::Database::open(path);
  if (!db) return std::move(db).error();
  if (auto st = common::migrate(*db, kDaemonSchemaComponent, daemon_schema_migrations()); !st)
    return std::move(st).error();
  return StateStore(std::move(*db), std::move(options));
}

std::chrono::system_clock::time_point StateStore::now() const {
  return options_.clock();
}

Result<int64_t> StateStore::next_resource_version() {
  auto stmt = db_.prepare(
      "UPDATE daemon_counters SET value = value + 1 WHERE name = 'resource_version' RETURNING value");
  if (!stmt) return std::move(stmt).error();
  auto row = stmt->step();
  if (!row) return std::move(row).error();
  if (!*row) return Error(db_.path() + ": daemon_counters: resource_version is missing", EIO);
  int64_t value = stmt->column_int64(0);
  if (auto st = stmt->run(); !st) return std::move(st).error();
  return value;
}

Result<int64_t> StateStore::resource_version() {
  std::lock_guard lock(*mutex_);
  auto stmt = db_.prepare("SELECT value FROM daemon_counters WHERE name = 'resource_version'");
  if (!stmt) return std::move(stmt).error();
  auto row = stmt->step();
  if (!row) return std::move(row).error();
  return *row ? stmt->column_int64(0) : 0;
}

}  // namespace skiff::daemon
