#include "common/sqlite.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace skiff::common {
namespace {

class SqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Database::open(tmp.path() + "/state.db");
    ASSERT_TRUE(opened.ok()) << opened.error().message();
    db.emplace(std::move(*opened));
  }
  std::string pragma(const char* name) {
    auto stmt = db->prepare(std::string("PRAGMA ") + name);
    EXPECT_TRUE(stmt.ok());
    auto row = stmt->step();
    EXPECT_TRUE(row.ok() && *row);
    return stmt->column_text(0);
  }
  int64_t count(const char* table) {
    auto stmt = db->prepare(std::string("SELECT count(*) FROM ") + table);
    EXPECT_TRUE(stmt.ok()) << stmt.error().message();
    auto row = stmt->step();
    EXPECT_TRUE(row.ok() && *row);
    return stmt->column_int64(0);
  }

  skiff::testing::TempDir tmp;
  std::optional<Database> db;
};

TEST_F(SqliteTest, OpensWithDurableSettings) {
  EXPECT_EQ(pragma("journal_mode"), "wal");
  EXPECT_EQ(pragma("synchronous"), "2");  // FULL
  EXPECT_EQ(pragma("foreign_keys"), "1");
  EXPECT_EQ(pragma("busy_timeout"), "5000");
}

TEST_F(SqliteTest, BindStepAndColumns) {
  ASSERT_TRUE(db->exec("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER, n TEXT)").ok());
  auto insert = db->prepare("INSERT INTO t VALUES (?, ?, ?)");
  ASSERT_TRUE(insert.ok());
  std::optional<std::string> none;
  ASSERT_TRUE(insert->bind_all("a", 1, none).run().ok());
  EXPECT_EQ(db->changes(), 1);
  insert->reset();
  ASSERT_TRUE(
      insert->bind_all(std::string("b"), int64_t{1} << 40, std::optional<std::string>("x")).run().ok());

  auto select = db->prepare("SELECT k, v, n FROM t ORDER BY k");
  ASSERT_TRUE(select.ok());
  ASSERT_TRUE(*select->step());
  EXPECT_EQ(select->column_text(0), "a");
  EXPECT_EQ(select->column_int64(1), 1);
  EXPECT_TRUE(select->column_is_null(2));
  ASSERT_TRUE(*select->step());
  EXPECT_EQ(select->column_int64(1), int64_t{1} << 40);
  EXPECT_EQ(select->column_text(2), "x");
  EXPECT_FALSE(*select->step());
}

TEST_F(SqliteTest, TextWithNulBytesRoundTrips) {
  ASSERT_TRUE(db->exec("CREATE TABLE t (v TEXT)").ok());
  std::string value("a\0b", 3);
  ASSERT_TRUE(db->prepare("INSERT INTO t VALUES (?)")->bind(1, value).run().ok());
  auto select = db->prepare("SELECT v FROM t");
  ASSERT_TRUE(*select->step());
  EXPECT_EQ(select->column_text(0), value);
}

TEST_F(SqliteTest, ErrorsNameTheFileAndStatement) {
  auto bad = db->prepare("SELECT nope FROM nowhere");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(),
            tmp.path() + "/state.db: prepare \"SELECT nope FROM nowhere\": no such table: nowhere");

  ASSERT_TRUE(db->exec("CREATE TABLE t (k TEXT PRIMARY KEY)").ok());
  auto insert = db->prepare("INSERT INTO t VALUES (?)");
  ASSERT_TRUE(insert.ok());
  // A bind error is kept and reported by run().
  auto st = insert->bind(7, int64_t{1}).run();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("bind parameter 7"), std::string::npos) << st.error().message();

  insert->reset();
  ASSERT_TRUE(insert->bind_all("x").run().ok());
  insert->reset();
  st = insert->bind_all("x").run();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("UNIQUE constraint failed"), std::string::npos);
  EXPECT_EQ(st.error().code(), EEXIST);
}

TEST_F(SqliteTest, ForeignKeysAreEnforced) {
  ASSERT_TRUE(
      db->exec("CREATE TABLE p (id TEXT PRIMARY KEY); CREATE TABLE c (p TEXT REFERENCES p(id))").ok());
  EXPECT_FALSE(db->exec("INSERT INTO c VALUES ('missing')").ok());
}

TEST_F(SqliteTest, TransactionRollsBackUnlessCommitted) {
  ASSERT_TRUE(db->exec("CREATE TABLE t (v INTEGER)").ok());
  {
    auto tx = db->begin();
    ASSERT_TRUE(tx.ok()) << tx.error().message();
    ASSERT_TRUE(db->exec("INSERT INTO t VALUES (1)").ok());
    EXPECT_EQ(count("t"), 1);
  }  // no commit: rolled back
  EXPECT_EQ(count("t"), 0);
  {
    auto tx = db->begin();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(db->exec("INSERT INTO t VALUES (2)").ok());
    ASSERT_TRUE(tx->commit().ok());
    EXPECT_FALSE(tx->commit().ok());
  }
  EXPECT_EQ(count("t"), 1);
}

TEST_F(SqliteTest, SecondConnectionSeesCommittedDataOnly) {
  ASSERT_TRUE(db->exec("CREATE TABLE t (v INTEGER)").ok());
  auto other = Database::open(tmp.path() + "/state.db", 100);
  ASSERT_TRUE(other.ok());
  auto tx = db->begin();
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(db->exec("INSERT INTO t VALUES (1)").ok());
  auto read = other->prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(*read->step());
  EXPECT_EQ(read->column_int64(0), 0);
  // The writer lock is held: the other connection gives up after its busy timeout.
  auto busy = other->begin();
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.error().code(), EBUSY);
  ASSERT_TRUE(tx->commit().ok());
}

constexpr Migration kSteps[] = {
    {1, "first table", "CREATE TABLE one (v INTEGER);"},
    {2, "second table", "CREATE TABLE two (v INTEGER); INSERT INTO two VALUES (2);"},
};

TEST_F(SqliteTest, MigrateAppliesStepsOnce) {
  EXPECT_EQ(*schema_version(*db, "test"), 0);
  ASSERT_TRUE(migrate(*db, "test", std::span(kSteps).first(1)).ok());
  EXPECT_EQ(*schema_version(*db, "test"), 1);
  ASSERT_TRUE(migrate(*db, "test", kSteps).ok());
  EXPECT_EQ(*schema_version(*db, "test"), 2);
  ASSERT_TRUE(migrate(*db, "test", kSteps).ok());  // nothing left to do
  EXPECT_EQ(count("two"), 1);
  // A database already further along (a newer build's steps) is left alone.
  ASSERT_TRUE(migrate(*db, "test", std::span(kSteps).first(1)).ok());
  EXPECT_EQ(*schema_version(*db, "test"), 2);
  // Another component's steps count from 1 on their own.
  constexpr Migration other[] = {{1, "other table", "CREATE TABLE other (v INTEGER);"}};
  ASSERT_TRUE(migrate(*db, "other", other).ok());
  EXPECT_EQ(*schema_version(*db, "other"), 1);
  EXPECT_EQ(*schema_version(*db, "test"), 2);
}

TEST_F(SqliteTest, FailingMigrationRollsBackItsStep) {
  constexpr Migration broken[] = {
      {1, "fine", "CREATE TABLE one (v INTEGER);"},
      {2, "broken", "CREATE TABLE half (v INTEGER); INSERT INTO nowhere VALUES (1);"},
  };
  auto st = migrate(*db, "test", broken);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("test migration 2 (broken)"), std::string::npos)
      << st.error().message();
  EXPECT_NE(st.error().message().find("no such table: nowhere"), std::string::npos);
  EXPECT_EQ(*schema_version(*db, "test"), 1);
  EXPECT_FALSE(db->prepare("SELECT * FROM half").ok());
}

TEST_F(SqliteTest, MigrationsMustBeInSequence) {
  constexpr Migration gap[] = {{1, "a", "SELECT 1;"}, {3, "c", "SELECT 1;"}};
  auto st = migrate(*db, "test", gap);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("version 3 out of sequence"), std::string::npos);
  EXPECT_EQ(*schema_version(*db, "test"), 0);
}

}  // namespace
}  // namespace skiff::common
