#pragma once
// Helpers for the object tests: parse JSON text as a file, and apply one change to a valid
// object to provoke one error.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "scheduler/objects.h"

namespace skiff::scheduler::testing {

using nlohmann::json;

/// A Mutation value that removes the pointer's field.
inline const json kRemove = json(json::value_t::discarded);

/// One change to an object: set the JSON pointer's value, or remove it (kRemove).
struct Mutation {
  const char* pointer;
  json value;
  std::string message;  ///< the expected error after "web.json: <Kind> <name>: "
};

inline json mutate(json j, const Mutation& m) {
  json::json_pointer p(m.pointer);
  if (!m.value.is_discarded()) {
    j[p] = m.value;
  } else {
    j[p.parent_pointer()].erase(p.back());
  }
  return j;
}

/// The error of parsing `j` as the file "web.json", or "" when it parses.
inline std::string error_of(const json& j) {
  auto r = parse_objects(j.dump(), "web.json");
  return r.ok() ? "" : r.error().message();
}

template <class T>
T parse_as(const json& j, std::vector<std::string>* warnings = nullptr) {
  auto r = parse_objects(j.dump(), "web.json");
  EXPECT_TRUE(r.ok()) << r.error().message();
  if (!r.ok()) return T{};
  if (warnings) *warnings = r->warnings;
  EXPECT_EQ(r->objects.size(), 1U);
  return std::get<T>(r->objects.at(0));
}

}  // namespace skiff::scheduler::testing
