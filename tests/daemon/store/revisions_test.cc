// Deployment revisions: find-or-create by template, Kubernetes' renumbering on rollback,
// history cleanup and the cascade when the Deployment goes.

#include "tests/daemon/store/store_test_support.h"

namespace skiff::daemon::testing {
namespace {

using scheduler::PodTemplateSpec;

PodTemplateSpec template_of(const std::string& image) {
  return deployment("web", image).spec.pod_template;
}

class RevisionTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ASSERT_TRUE(store().apply(object_of(deployment_json("web"))).ok());
  }
  std::vector<int64_t> numbers() {
    std::vector<int64_t> out;
    auto revisions = store().revisions("web");
    EXPECT_TRUE(revisions.ok());
    if (revisions.ok())
      for (const Revision& r : *revisions) out.push_back(r.number);
    return out;
  }
};

TEST_F(RevisionTest, RecordsATemplateOnce) {
  auto first = store().record_revision("web", template_of("busybox:1"));
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_EQ(first->deployment, "web");
  EXPECT_EQ(first->number, 1);
  EXPECT_EQ(first->hash, scheduler::pod_template_hash(template_of("busybox:1")));
  EXPECT_EQ(first->pod_template, template_of("busybox:1"));
  EXPECT_EQ(first->created, "2026-12-01T10:00:00Z");

  advance(1h);
  auto again = store().record_revision("web", template_of("busybox:1"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first);
  EXPECT_EQ(numbers(), std::vector<int64_t>{1});

  auto got = store().revision("web", 1);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, *first);
  EXPECT_FALSE(store().revision("web", 2)->has_value());
}

TEST_F(RevisionTest, RollbackMovesTheOldRevisionToTheNextNumber) {
  ASSERT_TRUE(store().record_revision("web", template_of("busybox:1")).ok());
  advance(1min);
  auto second = store().record_revision("web", template_of("busybox:2"));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->number, 2);

  // Pods of revision 1 still run during the rollback.
  PodRecord old_pod = pod_record("web-a");
  old_pod.template_hash = scheduler::pod_template_hash(template_of("busybox:1"));
  old_pod.revision = 1;
  ASSERT_TRUE(store().insert_pod(old_pod).ok());

  advance(1min);
  auto back = store().record_revision("web", template_of("busybox:1"));
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->number, 3);
  EXPECT_EQ(back->hash, old_pod.template_hash);
  EXPECT_EQ(back->created, "2026-12-01T10:00:00Z");  // the ReplicaSet is the old one
  EXPECT_EQ(numbers(), (std::vector<int64_t>{2, 3}));
  EXPECT_FALSE(store().revision("web", 1)->has_value());
  EXPECT_EQ((*store().get_pod("web-a"))->revision, 3);
}

TEST_F(RevisionTest, DesiredReplicasAreKeptPerRevision) {
  auto first = store().record_revision("web", template_of("busybox:1"));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->desired_replicas, std::nullopt) << "unknown until the controller sizes it";
  ASSERT_TRUE(store().set_desired_replicas("web", first->hash, 7).ok());
  auto read = store().revision("web", 1);
  ASSERT_TRUE(read.ok() && *read);
  EXPECT_EQ((*read)->desired_replicas, 7);
  // A rollback's renumbering keeps it; unset forgets it.
  ASSERT_TRUE(store().record_revision("web", template_of("busybox:2")).ok());
  auto back = store().record_revision("web", template_of("busybox:1"));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->number, 3);
  EXPECT_EQ(back->desired_replicas, 7);
  ASSERT_TRUE(store().set_desired_replicas("web", first->hash, std::nullopt).ok());
  EXPECT_EQ((*store().revision("web", 3))->desired_replicas, std::nullopt);
  auto missing = store().set_desired_replicas("web", "nosuchhash", 1);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ENOENT);
}

TEST_F(RevisionTest, DeleteForHistoryCleanup) {
  ASSERT_TRUE(store().record_revision("web", template_of("busybox:1")).ok());
  ASSERT_TRUE(store().record_revision("web", template_of("busybox:2")).ok());
  auto deleted = store().delete_revision("web", 1);
  ASSERT_TRUE(deleted.ok());
  EXPECT_TRUE(*deleted);
  EXPECT_FALSE(*store().delete_revision("web", 1));
  EXPECT_EQ(numbers(), std::vector<int64_t>{2});
  // A template whose revision was cleaned up comes back as a new one.
  auto back = store().record_revision("web", template_of("busybox:1"));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->number, 3);
}

TEST_F(RevisionTest, RevisionsGoWithTheDeployment) {
  ASSERT_TRUE(store().record_revision("web", template_of("busybox:1")).ok());
  ASSERT_TRUE(*store().remove("Deployment", "web"));
  EXPECT_TRUE(store().revisions("web")->empty());
  ASSERT_TRUE(store().apply(object_of(deployment_json("web"))).ok());
  auto fresh = store().record_revision("web", template_of("busybox:1"));
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh->number, 1);
}

TEST_F(RevisionTest, Errors) {
  auto missing = store().record_revision("api", template_of("busybox:1"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ENOENT);
  EXPECT_EQ(missing.error().message(), "Deployment api: not found");

  PodTemplateSpec bad = template_of("busybox:1");
  bad.spec.containers.clear();
  auto invalid = store().record_revision("web", bad);
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().code(), EINVAL);
  EXPECT_NE(invalid.error().message().find("spec.template.spec.containers"), std::string::npos)
      << invalid.error().message();
  EXPECT_TRUE(store().revisions("web")->empty());
}

}  // namespace
}  // namespace skiff::daemon::testing
