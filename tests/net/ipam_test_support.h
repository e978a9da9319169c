#pragma once
// A state DB with the net schema in a temp dir, for the IPAM tests.

#include <gtest/gtest.h>

#include <string>

#include "common/sqlite.h"
#include "net/ip_address.h"
#include "net/ipam.h"
#include "tests/support/temp_dir.h"

namespace skiff::net {

inline common::Database open_state_db(const std::string& path) {
  auto db = common::Database::open(path);
  if (!db) ADD_FAILURE() << db.error().message();
  auto st = common::migrate(*db, kNetSchemaComponent, net_schema_migrations());
  if (!st) ADD_FAILURE() << st.error().message();
  return std::move(*db);
}

inline IpAddress ip(std::string_view text) {
  auto address = IpAddress::parse(text);
  if (!address) ADD_FAILURE() << address.error().message();
  return address ? *address : IpAddress{};
}

inline Subnet subnet(std::string_view text) {
  auto parsed = Subnet::parse(text);
  if (!parsed) ADD_FAILURE() << parsed.error().message();
  return parsed ? *parsed : Subnet{};
}

}  // namespace skiff::net
