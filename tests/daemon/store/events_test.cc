// Events (aggregation, queries, the cap) and the autoscaler's per-HPA state.

#include "tests/daemon/store/store_test_support.h"

namespace skiff::daemon::testing {
namespace {

Event started(const std::string& pod, const std::string& message = "Started container web") {
  return Event{
      .object_kind = "Pod", .object_name = pod, .type = "Normal", .reason = "Started", .message = message};
}

TEST_F(StoreTest, RecordsAnEvent) {
  Event in = started("web-1");
  in.id = 99;  // ignored, as count and timestamps are
  in.count = 7;
  auto e = store().record_event(in);
  ASSERT_TRUE(e.ok()) << e.error().message();
  EXPECT_GT(e->id, 0);
  EXPECT_EQ(e->count, 1);
  EXPECT_EQ(e->first_timestamp, "2026-12-01T10:00:00Z");
  EXPECT_EQ(e->last_timestamp, "2026-12-01T10:00:00Z");
  auto all = store().events();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1U);
  EXPECT_EQ(all->at(0), *e);
  EXPECT_EQ(to_json(*e), json::parse(R"({"kind":"Event","apiVersion":"v1",
      "involvedObject":{"kind":"Pod","name":"web-1"},"type":"Normal","reason":"Started",
      "message":"Started container web","count":1,"firstTimestamp":"2026-12-01T10:00:00Z",
      "lastTimestamp":"2026-12-01T10:00:00Z"})"));
}

TEST_F(StoreTest, RepeatsWithinTenMinutesAreCounted) {
  auto first = store().record_event(started("web-1"));
  ASSERT_TRUE(first.ok());
  advance(9min);
  auto second = store().record_event(started("web-1"));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->count, 2);
  EXPECT_EQ(second->first_timestamp, "2026-12-01T10:00:00Z");
  EXPECT_EQ(second->last_timestamp, "2026-12-01T10:09:00Z");
  // It moved to a new id, so a watcher positioned after the first sees the update.
  EXPECT_GT(second->id, first->id);
  auto after = store().events({.after_id = first->id});
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1U);
  EXPECT_EQ(after->at(0), *second);
  EXPECT_EQ(store().events()->size(), 1U);

  // The window runs from the last occurrence: 9 minutes later still counts.
  advance(9min);
  EXPECT_EQ(store().record_event(started("web-1"))->count, 3);
  // More than 10 minutes of quiet start a new event.
  advance(10min + 1s);
  auto fresh = store().record_event(started("web-1"));
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh->count, 1);
  EXPECT_EQ(fresh->first_timestamp, "2026-12-01T10:28:01Z");
  EXPECT_EQ(store().events()->size(), 2U);
}

TEST_F(StoreTest, OnlyTheSameEventIsCounted) {
  ASSERT_TRUE(store().record_event(started("web-1")).ok());
  Event warning = started("web-1");
  warning.type = "Warning";
  Event other_reason = started("web-1");
  other_reason.reason = "Created";
  Event other_kind = started("web-1");
  other_kind.object_kind = "Deployment";
  for (const Event& e :
       {started("web-1", "Started container sidecar"), started("web-2"), warning, other_reason, other_kind}) {
    auto r = store().record_event(e);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->count, 1);
  }
  EXPECT_EQ(store().events()->size(), 6U);
}

TEST_F(StoreTest, EventQueries) {
  std::vector<int64_t> ids;
  for (const char* pod : {"web-1", "web-2", "web-1", "web-3"}) {
    ids.push_back(
        store().record_event(started(pod, std::string("for ") + pod + " " + std::to_string(ids.size())))->id);
  }
  auto for_pod = store().events({.object_kind = "Pod", .object_name = "web-1"});
  ASSERT_TRUE(for_pod.ok());
  ASSERT_EQ(for_pod->size(), 2U);
  EXPECT_EQ(for_pod->at(0).id, ids[0]);
  EXPECT_EQ(for_pod->at(1).id, ids[2]);
  EXPECT_TRUE(store().events({.object_kind = "Deployment", .object_name = "web-1"})->empty());

  auto after = store().events({.after_id = ids[1]});
  ASSERT_EQ(after->size(), 2U);
  EXPECT_EQ(after->at(0).id, ids[2]);

  auto limited = store().events({.limit = 3});
  ASSERT_EQ(limited->size(), 3U);
  EXPECT_EQ(limited->back().id, ids[2]);
}

TEST_F(StoreTest, EventsAreCappedToTheNewest) {
  reopen({.max_events = 3});
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(store().record_event(started("web-" + std::to_string(i)))->id);
  auto all = store().events();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3U);
  EXPECT_EQ(all->at(0).id, ids[2]);
  EXPECT_EQ(all->at(2).id, ids[4]);
  // Ids are never reused after trimming.
  EXPECT_GT(store().record_event(started("web-9"))->id, ids[4]);
}

TEST_F(StoreTest, InvalidEventsAreRejected) {
  Event bad_type = started("web-1");
  bad_type.type = "Info";
  auto r = store().record_event(bad_type);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EINVAL);
  EXPECT_EQ(
      r.error().message(),
      "event for Pod web-1: type: unsupported value \"Info\": supported values: \"Normal\", \"Warning\"");
  Event no_reason = started("web-1");
  no_reason.reason.clear();
  EXPECT_FALSE(store().record_event(no_reason).ok());
  Event no_object = started("");
  EXPECT_FALSE(store().record_event(no_object).ok());
  EXPECT_TRUE(store().events()->empty());
}

TEST_F(StoreTest, HpaStateRoundTripsAndGoesWithTheHpa) {
  EXPECT_EQ(store().put_hpa_state("web", json::object()).error().code(), ENOENT);
  ASSERT_TRUE(store().apply(object_of(hpa_json("web"))).ok());
  EXPECT_FALSE(store().hpa_state("web")->has_value());

  json state = {{"recommendations", json::array({{{"time", "2026-12-01T10:00:00Z"}, {"replicas", 3}}})}};
  ASSERT_TRUE(store().put_hpa_state("web", state).ok());
  EXPECT_EQ(**store().hpa_state("web"), state);
  json replaced = {{"recommendations", json::array()}};
  ASSERT_TRUE(store().put_hpa_state("web", replaced).ok());
  EXPECT_EQ(**store().hpa_state("web"), replaced);

  auto not_object = store().put_hpa_state("web", json::array());
  ASSERT_FALSE(not_object.ok());
  EXPECT_EQ(not_object.error().code(), EINVAL);
  EXPECT_EQ(**store().hpa_state("web"), replaced);

  ASSERT_TRUE(*store().remove("HorizontalPodAutoscaler", "web"));
  EXPECT_FALSE(store().hpa_state("web")->has_value());
}

}  // namespace
}  // namespace skiff::daemon::testing
