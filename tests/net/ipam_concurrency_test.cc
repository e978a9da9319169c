// The "50 pods created concurrently get 50 distinct addresses", at the IPAM level:
// 50 threads sharing one Ipam, and 4 processes with their own connections to one file.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "net/ipam.h"
#include "tests/net/ipam_test_support.h"
#include "tests/support/child_process.h"

namespace skiff::net {
namespace {

constexpr int kPods = 50;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Every allocation in the database, owner to address; fails on a duplicate address.
std::map<std::string, std::string> allocations_of(Ipam& ipam) {
  auto allocations = ipam.list("skiff0");
  EXPECT_TRUE(allocations.ok()) << allocations.error().message();
  std::map<std::string, std::string> by_owner;
  std::set<std::string> addresses;
  for (const Allocation& a : allocations ? *allocations : std::vector<Allocation>{}) {
    EXPECT_TRUE(addresses.insert(a.address.str()).second) << a.address.str() << " handed out twice";
    by_owner[a.owner] = a.address.str();
  }
  return by_owner;
}

TEST(IpamConcurrency, FiftyThreadsSharingOneIpam) {
  testing::TempDir dir;
  common::Database db = open_state_db(dir.path() + "/state.db");
  Ipam ipam(db);
  Subnet pods = subnet("10.88.0.0/16");

  std::vector<std::string> got(kPods);
  std::vector<std::string> errors(kPods);
  auto start = std::chrono::steady_clock::now();
  {
    std::vector<std::jthread> threads;
    threads.reserve(kPods);
    for (int i = 0; i < kPods; ++i) {
      threads.emplace_back([&, i] {
        auto address = ipam.allocate("skiff0", pods, "pod-" + std::to_string(i));
        if (address) {
          got[i] = address->str();
        } else {
          errors[i] = address.error().message();
        }
      });
    }
  }
  double elapsed = seconds_since(start);
  RecordProperty("seconds", std::to_string(elapsed));
  std::printf("50 allocations from 50 threads: %.3f s\n", elapsed);

  for (int i = 0; i < kPods; ++i) EXPECT_EQ(errors[i], "") << "pod-" << i;
  std::set<std::string> distinct(got.begin(), got.end());
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kPods));
  auto stored = allocations_of(ipam);
  ASSERT_EQ(stored.size(), static_cast<size_t>(kPods));
  for (int i = 0; i < kPods; ++i) EXPECT_EQ(stored["pod-" + std::to_string(i)], got[i]);
  // Sequential allocation leaves no holes: .2 to .51.
  EXPECT_TRUE(distinct.contains("10.88.0.2"));
  EXPECT_TRUE(distinct.contains("10.88.0.51"));
}

// Each child opens its own connection and allocates its share with a few threads on one
// Ipam, writing what it got to a file; the parent checks that the database holds exactly
// those, all distinct.
TEST(IpamConcurrency, FourProcessesWithTheirOwnConnections) {
  constexpr int kProcesses = 4;
  constexpr int kThreadsPerProcess = 3;
  testing::TempDir dir;
  std::string path = dir.path() + "/state.db";
  { open_state_db(path); }  // migrated before the children race
  Subnet pods = subnet("10.88.0.0/16");

  std::fflush(stdout);  // the children must not print the parent's buffered output again
  std::vector<std::unique_ptr<testing::ChildProcess>> children;
  children.reserve(kProcesses);
  for (int p = 0; p < kProcesses; ++p) {
    children.push_back(std::make_unique<testing::ChildProcess>([&, p] {
      auto db = common::Database::open(path);
      if (!db) return 2;
      Ipam ipam(*db);
      std::vector<std::string> lines;
      std::mutex lines_mutex;
      bool failed = false;
      {
        std::vector<std::jthread> threads;
        threads.reserve(kThreadsPerProcess);
        for (int t = 0; t < kThreadsPerProcess; ++t) {
          threads.emplace_back([&, t] {
            for (int i = p * kThreadsPerProcess + t; i < kPods; i += kProcesses * kThreadsPerProcess) {
              std::string owner = "pod-" + std::to_string(i);
              auto address = ipam.allocate("skiff0", pods, owner);
              std::lock_guard lock(lines_mutex);
              if (address) {
                lines.push_back(owner + " " + address->str());
              } else {
                lines.push_back("error " + address.error().message());
                failed = true;
              }
            }
          });
        }
      }
      std::ofstream out(dir.path() + "/child-" + std::to_string(p));
      for (const std::string& line : lines) out << line << "\n";
      out.close();
      return failed || !out ? 1 : 0;
    }));
  }
  auto start = std::chrono::steady_clock::now();
  for (auto& child : children) child->go();
  for (auto& child : children) {
    auto status = child->wait(60000);
    ASSERT_TRUE(status.has_value()) << "child " << child->pid() << " hangs";
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << "child status " << *status;
  }
  double elapsed = seconds_since(start);
  RecordProperty("seconds", std::to_string(elapsed));
  std::printf("50 allocations from %d processes x %d threads: %.3f s\n", kProcesses, kThreadsPerProcess,
              elapsed);

  std::map<std::string, std::string> reported;
  for (int p = 0; p < kProcesses; ++p) {
    std::ifstream in(dir.path() + "/child-" + std::to_string(p));
    for (std::string line; std::getline(in, line);) {
      size_t space = line.find(' ');
      std::string owner = line.substr(0, space);
      EXPECT_NE(owner, "error") << line;
      reported[owner] = line.substr(space + 1);
    }
  }
  EXPECT_EQ(reported.size(), static_cast<size_t>(kPods));
  common::Database db = open_state_db(path);
  Ipam ipam(db);
  EXPECT_EQ(allocations_of(ipam), reported);
}

}  // namespace
}  // namespace skiff::net
