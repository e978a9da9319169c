#pragma once
// Helpers shared by the ImageStore's files for reading and writing its tables.

#include <string>

#include "common/error.h"
#include "common/sqlite.h"
#include "image/content/digest.h"

namespace skiff::image::store_db {

/// A digest column; a malformed value means the database was edited by hand or damaged.
inline common::Result<Digest> column_digest(const common::Statement& stmt, int column) {
  auto digest = Digest::parse(stmt.column_text(column));
  if (!digest) return std::move(digest).error().context("state.db");
  return digest;
}

/// Runs a statement that takes one text parameter.
inline common::Status run(common::Database& db, const char* sql, const std::string& argument) {
  auto stmt = db.prepare(sql);
  if (!stmt) return std::move(stmt).error();
  stmt->bind_all(argument);
  return stmt->run();
}

}  // namespace skiff::image::store_db
