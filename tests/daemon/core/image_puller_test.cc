// ImagePuller (daemon/core/image_puller.h): tickets, joined pulls, results taken once, and
// the done callback, with a pull function the test releases by hand.

#include "daemon/core/image_puller.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>

namespace skiff::daemon {
namespace {

using common::Error;
using common::Status;

/// A pull that blocks until the test releases it, and counts the pulls per reference.
struct GatedPulls {
  std::mutex mutex;
  std::condition_variable cv;
  std::multiset<std::string> started;
  bool open = false;

  Status pull(const std::string& ref) {
    std::unique_lock lock(mutex);
    started.insert(ref);
    cv.notify_all();
    cv.wait(lock, [&] { return open; });
    if (ref.find("missing") != std::string::npos) return Error("pull " + ref + ": manifest unknown");
    return {};
  }
  void release() {
    std::lock_guard lock(mutex);
    open = true;
    cv.notify_all();
  }
  void wait_started(size_t n) {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return started.size() >= n; });
  }
};

/// Polls take() until the pull ends (the puller runs on its own thread).
Status result_of(ImagePuller& puller, uint64_t ticket) {
  for (;;) {
    if (auto r = puller.take(ticket)) return *r;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

TEST(ImagePuller, RequestsForOneReferenceJoinOnePull) {
  GatedPulls gate;
  std::atomic<int> done{0};
  ImagePuller puller({.present = [](const std::string&) { return false; },
                      .pull = [&](const std::string& ref) { return gate.pull(ref); }});
  puller.on_done([&] { ++done; });
  uint64_t a = puller.request("app:1");
  gate.wait_started(1);
  uint64_t b = puller.request("app:1");
  EXPECT_NE(a, b);
  EXPECT_EQ(puller.take(a), std::nullopt) << "still pulling";
  gate.release();
  EXPECT_TRUE(result_of(puller, a));
  EXPECT_TRUE(result_of(puller, b));
  EXPECT_EQ(gate.started.count("app:1"), 1U);
  EXPECT_GE(done.load(), 1);
  // A taken result is forgotten.
  auto again = puller.take(a);
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(*again);
}

TEST(ImagePuller, AFailureReachesEveryTicketAndALaterRequestPullsAgain) {
  GatedPulls gate;
  gate.release();
  ImagePuller puller({.present = [](const std::string&) { return false; },
                      .pull = [&](const std::string& ref) { return gate.pull(ref); }});
  Status first = result_of(puller, puller.request("missing:1"));
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().message(), "pull missing:1: manifest unknown");
  EXPECT_FALSE(result_of(puller, puller.request("missing:1")));
  EXPECT_EQ(gate.started.count("missing:1"), 2U);
}

TEST(ImagePuller, StopWaitsForThePullInFlightAndOnDoneNullDetaches) {
  GatedPulls gate;
  auto puller = std::make_unique<ImagePuller>(
      ImagePuller::Hooks{.present = [](const std::string&) { return true; },
                         .pull = [&](const std::string& ref) { return gate.pull(ref); }});
  std::atomic<int> done{0};
  puller->on_done([&] { ++done; });
  puller->request("app:2");
  gate.wait_started(1);
  puller->on_done(nullptr);
  gate.release();
  puller->stop();
  EXPECT_EQ(done.load(), 0);
  EXPECT_TRUE(puller->present("anything"));
}

}  // namespace
}  // namespace skiff::daemon
