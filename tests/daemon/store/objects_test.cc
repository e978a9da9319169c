// Objects in the state store: apply's created/configured/unchanged, generation and resource
// versions, status, scale, list, remove, and apply_all's all-or-nothing.

#include <cctype>
#include <string_view>

#include "tests/daemon/store/store_test_support.h"

namespace skiff::daemon::testing {
namespace {

using scheduler::Deployment;
using scheduler::HorizontalPodAutoscaler;
using scheduler::Object;
using scheduler::Service;

// xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx in lowercase hex (std::regex trips GCC 12's
// -Wmaybe-uninitialized under the sanitizers).
bool is_uuid_v4(const std::string& s) {
  if (s.size() != 36 || s[14] != '4' || std::string_view("89ab").find(s[19]) == std::string_view::npos)
    return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    bool hex = std::isdigit(static_cast<unsigned char>(s[i])) || (s[i] >= 'a' && s[i] <= 'f');
    if (dash ? s[i] != '-' : !hex) return false;
  }
  return true;
}

const Deployment& as_deployment(const StoredObject& s) {
  return std::get<Deployment>(s.object);
}

TEST_F(StoreTest, ApplyCreatesWithServerMetadata) {
  auto r = store().apply(object_of(deployment_json("web")));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->action, ApplyAction::Created);
  EXPECT_STREQ(to_string(r->action), "created");
  const Deployment& d = as_deployment(r->stored);
  EXPECT_TRUE(is_uuid_v4(d.metadata.uid)) << d.metadata.uid;
  EXPECT_EQ(d.metadata.generation, 1);
  EXPECT_EQ(d.metadata.creation_timestamp, "2026-12-01T10:00:00Z");
  EXPECT_GT(r->stored.resource_version, 0);
  EXPECT_EQ(d.spec, deployment("web").spec);

  auto got = store().get("Deployment", "web");
  ASSERT_TRUE(got.ok()) << got.error().message();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->object, r->stored.object);
  EXPECT_EQ((*got)->resource_version, r->stored.resource_version);
}

TEST_F(StoreTest, ObjectsOfEveryKindRoundTrip) {
  for (const json& j : {deployment_json("web"), service_json("web"), hpa_json("web")}) {
    Object o = object_of(j);
    auto r = store().apply(o);
    ASSERT_TRUE(r.ok()) << r.error().message();
    auto got = store().get(scheduler::kind_of(o), "web");
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ((*got)->object, r->stored.object);
    // Everything but the server-set metadata is what was applied.
    Object expected = o;
    std::visit([&](auto& x) { x.metadata = scheduler::metadata_of(r->stored.object); }, expected);
    EXPECT_EQ((*got)->object, expected) << scheduler::kind_of(o);
  }
  EXPECT_NE(scheduler::metadata_of((*store().get("Service", "web"))->object).uid,
            scheduler::metadata_of((*store().get("Deployment", "web"))->object).uid);
}

TEST_F(StoreTest, ApplyingTheSameObjectAgainIsUnchanged) {
  auto first = store().apply(object_of(deployment_json("web")));
  ASSERT_TRUE(first.ok());
  auto version = store().resource_version();
  advance(1h);
  auto again = store().apply(object_of(deployment_json("web")));
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(again->action, ApplyAction::Unchanged);
  EXPECT_EQ(again->stored.object, first->stored.object);
  EXPECT_EQ(again->stored.resource_version, first->stored.resource_version);
  EXPECT_EQ(as_deployment(again->stored).metadata.generation, 1);
  EXPECT_EQ(*store().resource_version(), *version);
}

TEST_F(StoreTest, ServerMetadataAndStatusInAFileAreIgnored) {
  auto first = store().apply(object_of(deployment_json("web")));
  ASSERT_TRUE(first.ok());
  // As `skiff get deployment web -o json` prints it, then edited status and metadata.
  Deployment d = as_deployment(first->stored);
  d.metadata.uid = "00000000-0000-4000-8000-000000000000";
  d.metadata.generation = 7;
  d.metadata.creation_timestamp = "2020-01-01T00:00:00Z";
  d.status.replicas = 5;
  auto again = store().apply(d);
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(again->action, ApplyAction::Unchanged);
  EXPECT_EQ(again->stored.object, first->stored.object);
}

TEST_F(StoreTest, MetadataOnlyChangeKeepsGeneration) {
  ASSERT_TRUE(store().apply(object_of(deployment_json("web"))).ok());
  Deployment d = deployment("web");
  d.metadata.labels["tier"] = "front";
  d.metadata.annotations["note"] = "x";
  auto r = store().apply(d);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->action, ApplyAction::Configured);
  EXPECT_EQ(as_deployment(r->stored).metadata.generation, 1);
  EXPECT_EQ(as_deployment(r->stored).metadata.labels.at("tier"), "front");
}

TEST_F(StoreTest, SpecChangeBumpsGenerationAndKeepsIdentity) {
  auto first = store().apply(object_of(deployment_json("web")));
  ASSERT_TRUE(first.ok());
  advance(1min);
  auto r = store().apply(object_of(deployment_json("web", "busybox:2")));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->action, ApplyAction::Configured);
  const Deployment& d = as_deployment(r->stored);
  EXPECT_EQ(d.metadata.generation, 2);
  EXPECT_EQ(d.metadata.uid, as_deployment(first->stored).metadata.uid);
  EXPECT_EQ(d.metadata.creation_timestamp, "2026-12-01T10:00:00Z");
  EXPECT_EQ(d.spec.pod_template.spec.containers.at(0).image, "busybox:2");
  EXPECT_GT(r->stored.resource_version, first->stored.resource_version);
}

TEST_F(StoreTest, ResourceVersionGrowsWithEveryWrite) {
  std::vector<int64_t> versions;
  auto note = [&](int64_t v) { versions.push_back(v); };
  note(store().apply(object_of(deployment_json("web")))->stored.resource_version);
  note(store().apply(object_of(service_json("web")))->stored.resource_version);
  note(store().apply(object_of(deployment_json("web", "busybox:2")))->stored.resource_version);
  note(store().scale("web", 4)->resource_version);
  Deployment d = as_deployment(**store().get("Deployment", "web"));
  d.status.replicas = 4;
  note(store().update_status(d)->resource_version);
  note(store().insert_pod(pod_record("web-1"))->resource_version);
  ASSERT_TRUE(*store().remove("Service", "web"));
  note(*store().resource_version());
  for (size_t i = 1; i < versions.size(); ++i) EXPECT_GT(versions[i], versions[i - 1]) << i;
}

TEST_F(StoreTest, ListFiltersByKindAndLabels) {
  json other = deployment_json("api");
  other["metadata"]["labels"]["tier"] = "back";
  ASSERT_TRUE(
      store()
          .apply_all({object_of(deployment_json("web")), object_of(other), object_of(service_json("web"))})
          .ok());
  auto all = store().list("Deployment");
  ASSERT_TRUE(all.ok()) << all.error().message();
  ASSERT_EQ(all->size(), 2U);
  EXPECT_EQ(scheduler::metadata_of(all->at(0).object).name, "api");  // by name
  EXPECT_EQ(scheduler::metadata_of(all->at(1).object).name, "web");
  auto back = store().list("Deployment", {{"tier", "back"}});
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->size(), 1U);
  EXPECT_EQ(scheduler::metadata_of(back->at(0).object).name, "api");
  EXPECT_TRUE(store().list("Deployment", {{"app", "web"}, {"tier", "back"}})->empty());
  EXPECT_EQ(store().list("Service")->size(), 1U);
  EXPECT_TRUE(store().list("HorizontalPodAutoscaler")->empty());
  auto bad = store().list("Pod");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), EINVAL);
  EXPECT_NE(bad.error().message().find("kind: unsupported value \"Pod\""), std::string::npos);
}

TEST_F(StoreTest, RemoveDeletesTheObject) {
  ASSERT_TRUE(store().apply(object_of(service_json("web"))).ok());
  auto removed = store().remove("Service", "web");
  ASSERT_TRUE(removed.ok()) << removed.error().message();
  EXPECT_TRUE(*removed);
  EXPECT_FALSE(store().get("Service", "web")->has_value());
  EXPECT_FALSE(*store().remove("Service", "web"));
  // A new object of the name is a new object.
  auto again = store().apply(object_of(service_json("web")));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->action, ApplyAction::Created);
}

TEST_F(StoreTest, UpdateStatusKeepsSpecAndGeneration) {
  auto applied = store().apply(object_of(deployment_json("web")));
  ASSERT_TRUE(applied.ok());
  Deployment d = as_deployment(applied->stored);
  d.status.observed_generation = 1;
  d.status.replicas = 2;
  d.status.ready_replicas = 1;
  d.status.conditions = {
      scheduler::Condition{.type = "Available", .status = "False", .reason = "MinimumReplicasUnavailable"}};
  d.spec.replicas = 9;  // not the status's to change
  auto r = store().update_status(d);
  ASSERT_TRUE(r.ok()) << r.error().message();
  Deployment stored = as_deployment(**store().get("Deployment", "web"));
  EXPECT_EQ(stored.status, d.status);
  EXPECT_EQ(stored.spec.replicas, 2);
  EXPECT_EQ(stored.metadata.generation, 1);
  EXPECT_EQ(as_deployment(*r), stored);
  EXPECT_GT(r->resource_version, applied->stored.resource_version);

  // The same status again writes nothing.
  auto same = store().update_status(d);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->resource_version, r->resource_version);

  // Re-applying the file keeps the status.
  auto reapplied = store().apply(object_of(deployment_json("web")));
  ASSERT_TRUE(reapplied.ok());
  EXPECT_EQ(reapplied->action, ApplyAction::Unchanged);
  EXPECT_EQ(as_deployment(reapplied->stored).status, d.status);
}

TEST_F(StoreTest, UpdateStatusErrors) {
  auto applied = store().apply(object_of(deployment_json("web")));
  ASSERT_TRUE(applied.ok());
  Deployment d = as_deployment(applied->stored);

  Deployment bad = d;
  bad.status.conditions = {scheduler::Condition{.type = "Available", .status = "Maybe"}};
  auto invalid = store().update_status(bad);
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().code(), EINVAL);
  EXPECT_NE(invalid.error().message().find("status.conditions[0].status"), std::string::npos)
      << invalid.error().message();

  Deployment stale = d;
  stale.metadata.uid = "00000000-0000-4000-8000-000000000000";
  auto conflict = store().update_status(stale);
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().code(), ESTALE);

  auto missing = store().update_status(deployment("api"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ENOENT);
  EXPECT_EQ(missing.error().message(), "Deployment api: not found");

  EXPECT_EQ(**store().get("Deployment", "web"), applied->stored);
}

TEST_F(StoreTest, ScaleIsASpecChange) {
  ASSERT_TRUE(store().apply(object_of(deployment_json("web"))).ok());
  auto r = store().scale("web", 5);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(as_deployment(*r).spec.replicas, 5);
  EXPECT_EQ(as_deployment(*r).metadata.generation, 2);
  EXPECT_EQ(**store().get("Deployment", "web"), *r);

  auto same = store().scale("web", 5);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, *r);

  auto negative = store().scale("web", -1);
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().code(), EINVAL);
  EXPECT_NE(negative.error().message().find("spec.replicas"), std::string::npos)
      << negative.error().message();
  EXPECT_EQ(**store().get("Deployment", "web"), *r);

  auto missing = store().scale("api", 1);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ENOENT);
}

// The autoscaler writes a size only over the one it decided from.
TEST_F(StoreTest, ScaleFromAnExpectedSize) {
  ASSERT_TRUE(store().apply(object_of(deployment_json("web"))).ok());
  int32_t replicas = as_deployment(**store().get("Deployment", "web")).spec.replicas;
  auto r = store().scale("web", replicas + 2, replicas);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(as_deployment(*r).spec.replicas, replicas + 2);

  auto stale = store().scale("web", 9, replicas);  // someone scaled meanwhile
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code(), ESTALE);
  EXPECT_EQ(stale.error().message(), "Deployment web: spec.replicas changed meanwhile (expected " +
                                         std::to_string(replicas) + ", now " + std::to_string(replicas + 2) +
                                         ")");
  EXPECT_EQ(**store().get("Deployment", "web"), *r);
}

TEST_F(StoreTest, InvalidObjectIsRejectedNamingTheField) {
  Deployment d = deployment("web");
  d.spec.pod_template.spec.containers.at(0).image.clear();
  auto r = store().apply(d);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EINVAL);
  EXPECT_NE(r.error().message().find("Deployment web: spec.template.spec.containers[0].image"),
            std::string::npos)
      << r.error().message();
  EXPECT_FALSE(store().get("Deployment", "web")->has_value());
}

TEST_F(StoreTest, ApplyAllIsAllOrNothing) {
  auto before = store().apply(object_of(service_json("web", 80)));
  ASSERT_TRUE(before.ok());
  auto version = *store().resource_version();
  Deployment broken = deployment("broken");
  broken.spec.pod_template.spec.containers.at(0).image.clear();
  auto r =
      store().apply_all({object_of(deployment_json("web")), object_of(service_json("web", 8080)), broken});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("Deployment broken"), std::string::npos) << r.error().message();
  EXPECT_FALSE(store().get("Deployment", "web")->has_value());
  EXPECT_EQ(**store().get("Service", "web"), before->stored);
  EXPECT_EQ(*store().resource_version(), version);

  auto ok = store().apply_all({object_of(deployment_json("web")), object_of(service_json("web", 8080))});
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  ASSERT_EQ(ok->size(), 2U);
  EXPECT_EQ(ok->at(0).action, ApplyAction::Created);
  EXPECT_EQ(ok->at(1).action, ApplyAction::Configured);
}

// The controller's Service sync shares one parsed list until a Service is written.
TEST_F(StoreTest, ServicesSnapshotIsRereadOnlyAfterAServiceWrite) {
  ASSERT_TRUE(store().apply(object_of(service_json("web", 80))).ok());
  auto first = store().services_snapshot();
  ASSERT_TRUE(first.ok()) << first.error().message();
  ASSERT_EQ((*first)->size(), 1U);
  EXPECT_EQ(*store().services_snapshot(), *first);  // the same list, not re-read

  // Writes of other kinds, and an unchanged re-apply, leave it.
  ASSERT_TRUE(store().apply(object_of(deployment_json("web"))).ok());
  ASSERT_TRUE(store().scale("web", 3).ok());
  ASSERT_TRUE(store().apply(object_of(service_json("web", 80))).ok());
  EXPECT_EQ(*store().services_snapshot(), *first);

  ASSERT_TRUE(store().apply(object_of(service_json("web", 8080))).ok());
  auto updated = store().services_snapshot();
  ASSERT_TRUE(updated.ok());
  EXPECT_NE(*updated, *first);
  EXPECT_EQ(std::get<scheduler::Service>((*updated)->front().object).spec.ports.at(0).port, 8080);
  // A reader's snapshot never changes.
  EXPECT_EQ(std::get<scheduler::Service>((*first)->front().object).spec.ports.at(0).port, 80);

  ASSERT_TRUE(store().apply_all({object_of(service_json("api", 9090))}).ok());
  EXPECT_EQ((*store().services_snapshot())->size(), 2U);
  ASSERT_TRUE(*store().remove("Service", "web"));
  EXPECT_EQ((*store().services_snapshot())->size(), 1U);

  // An apply that rolls back leaves no trace in it either.
  Deployment broken = deployment("broken");
  broken.spec.pod_template.spec.containers.at(0).image.clear();
  auto before = *store().services_snapshot();
  ASSERT_FALSE(store().apply_all({object_of(service_json("api", 9191)), broken}).ok());
  auto after = store().services_snapshot();
  ASSERT_TRUE(after.ok());
  ASSERT_EQ((*after)->size(), 1U);
  EXPECT_EQ(std::get<scheduler::Service>((*after)->front().object).spec.ports.at(0).port, 9090);
  EXPECT_EQ(**after, *before);
}

// The prepare step of an apply sees the stored Services and pods, inside its transaction.
TEST_F(StoreTest, ApplyAllPrepareSeesServicesAndPods) {
  ASSERT_TRUE(store().apply(object_of(service_json("web", 80))).ok());
  ASSERT_TRUE(store().insert_pod(pod_record("web-1")).ok());
  size_t services = 0;
  size_t pods = 0;
  auto r = store().apply_all({object_of(service_json("api", 90))},
                             [&](std::vector<scheduler::Object>&, const std::vector<StoredObject>& s,
                                 const std::vector<PodRecord>& p) -> common::Status {
                               services = s.size();
                               pods = p.size();
                               return common::Error("no", EINVAL);
                             });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "no");
  EXPECT_EQ(services, 1U);
  EXPECT_EQ(pods, 1U);
  EXPECT_FALSE(store().get("Service", "api")->has_value());
}

TEST_F(StoreTest, ApplyAllRejectsAnObjectGivenTwice) {
  auto r =
      store().apply_all({object_of(deployment_json("web")), object_of(deployment_json("web", "busybox:2"))});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EINVAL);
  EXPECT_EQ(r.error().message(), "Deployment web: given twice");
  EXPECT_FALSE(store().get("Deployment", "web")->has_value());
}

}  // namespace
}  // namespace skiff::daemon::testing
