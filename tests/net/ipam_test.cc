#include "net/ipam.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <set>

#include "tests/net/ipam_test_support.h"

namespace skiff::net {
namespace {

using ::testing::HasSubstr;

class IpamTest : public ::testing::Test {
 protected:
  std::string db_path() const { return dir_.path() + "/state.db"; }

  std::string allocate(const std::string& owner, std::optional<IpAddress> requested = std::nullopt) {
    auto address = ipam_.allocate("skiff0", subnet_, owner, requested);
    if (!address) {
      ADD_FAILURE() << address.error().message();
      return "";
    }
    return address->str();
  }

  std::string allocate_error(const std::string& owner, std::optional<IpAddress> requested = std::nullopt) {
    auto address = ipam_.allocate("skiff0", subnet_, owner, requested);
    if (address) {
      ADD_FAILURE() << "got " << address->str();
      return "";
    }
    return address.error().message();
  }

  std::vector<std::string> listed(const std::string& network = "skiff0") {
    auto allocations = ipam_.list(network);
    if (!allocations) ADD_FAILURE() << allocations.error().message();
    std::vector<std::string> out;
    for (const Allocation& a : allocations ? *allocations : std::vector<Allocation>{}) {
      EXPECT_EQ(a.network, network);
      out.push_back(a.owner + "=" + a.address.str());
    }
    return out;
  }

  testing::TempDir dir_;
  common::Database db_ = open_state_db(db_path());
  Ipam ipam_{db_};
  Subnet subnet_ = subnet("10.88.0.0/16");
};

using Owners = std::vector<std::string>;

TEST_F(IpamTest, SchemaMigratesOnceAsTheNetComponent) {
  auto version = common::schema_version(db_, kNetSchemaComponent);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, static_cast<int>(net_schema_migrations().size()));
  EXPECT_TRUE(common::migrate(db_, kNetSchemaComponent, net_schema_migrations()).ok());
}

TEST_F(IpamTest, AllocatesSequentiallySkippingNetworkAndGateway) {
  EXPECT_EQ(allocate("pod-a"), "10.88.0.2");
  EXPECT_EQ(allocate("pod-b"), "10.88.0.3");
  EXPECT_EQ(allocate("pod-c"), "10.88.0.4");
  EXPECT_EQ(listed(), (Owners{"pod-a=10.88.0.2", "pod-b=10.88.0.3", "pod-c=10.88.0.4"}));
}

TEST_F(IpamTest, SameOwnerGetsTheSameAddressBack) {
  EXPECT_EQ(allocate("pod-a"), "10.88.0.2");
  EXPECT_EQ(allocate("pod-a"), "10.88.0.2");
  EXPECT_EQ(allocate("pod-a", ip("10.88.0.2")), "10.88.0.2");
  EXPECT_THAT(allocate_error("pod-a", ip("10.88.0.9")),
              HasSubstr("pod-a already has 10.88.0.2, not 10.88.0.9"));
  EXPECT_EQ(allocate("pod-b"), "10.88.0.3");
  EXPECT_EQ(listed().size(), 2u);
}

TEST_F(IpamTest, RequestedAddress) {
  EXPECT_EQ(allocate("pod-a", ip("10.88.7.50")), "10.88.7.50");
  // Allocation continues after the last address handed out, requested ones too.
  EXPECT_EQ(allocate("pod-b"), "10.88.7.51");
  EXPECT_EQ(allocate("pod-c", ip("10.88.0.2")), "10.88.0.2");
  EXPECT_EQ(allocate("pod-d"), "10.88.0.3");
}

TEST_F(IpamTest, RequestedAddressErrors) {
  EXPECT_EQ(allocate("pod-a"), "10.88.0.2");
  EXPECT_EQ(allocate_error("pod-x", ip("10.99.1.5")),
            "allocate an address in skiff0 for pod-x: 10.99.1.5 is outside 10.88.0.0/16");
  EXPECT_THAT(allocate_error("pod-x", ip("fd00::5")), HasSubstr("fd00::5 is outside 10.88.0.0/16"));
  EXPECT_THAT(allocate_error("pod-x", ip("10.88.0.2")), HasSubstr("10.88.0.2 is already allocated to pod-a"));
  EXPECT_THAT(allocate_error("pod-x", ip("10.88.0.0")),
              HasSubstr("10.88.0.0 is the network address of 10.88.0.0/16"));
  EXPECT_THAT(allocate_error("pod-x", ip("10.88.0.1")),
              HasSubstr("10.88.0.1 is the gateway of 10.88.0.0/16"));
  EXPECT_THAT(allocate_error("pod-x", ip("10.88.255.255")),
              HasSubstr("10.88.255.255 is the broadcast address of 10.88.0.0/16"));
  EXPECT_EQ(listed(), (Owners{"pod-a=10.88.0.2"}));
}

TEST_F(IpamTest, ExhaustsASlash29) {
  subnet_ = subnet("192.168.7.8/29");  // .8 network, .9 gateway, .10-.14 pods, .15 broadcast
  std::set<std::string> got;
  for (int i = 0; i < 5; ++i) got.insert(allocate("pod-" + std::to_string(i)));
  EXPECT_EQ(got, (std::set<std::string>{"192.168.7.10", "192.168.7.11", "192.168.7.12", "192.168.7.13",
                                        "192.168.7.14"}));
  std::string error = allocate_error("pod-5");
  EXPECT_EQ(
      error,
      "allocate an address in skiff0 for pod-5: subnet 192.168.7.8/29 is exhausted (5 addresses allocated)");
  auto failed = ipam_.allocate("skiff0", subnet_, "pod-5");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code(), ENOSPC);
  EXPECT_EQ(listed().size(), 5u);

  // A release makes room again, and the freed address is the only one left.
  ASSERT_TRUE(ipam_.release("skiff0", "pod-2").ok());
  EXPECT_EQ(allocate("pod-5"), "192.168.7.12");
  EXPECT_THAT(allocate_error("pod-6"), HasSubstr("exhausted"));
}

TEST_F(IpamTest, PointToPointSubnetsHaveNoRoomForPods) {
  for (std::string_view text : {"192.168.7.8/31", "192.168.7.8/32", "fd00::/127", "fd00::/128"}) {
    subnet_ = subnet(text);
    EXPECT_THAT(allocate_error("pod-a"), HasSubstr("exhausted")) << text;
  }
  subnet_ = subnet("192.168.7.8/30");
  EXPECT_EQ(allocate("pod-a"), "192.168.7.10");
  EXPECT_THAT(allocate_error("pod-b"), HasSubstr("subnet 192.168.7.8/30 is exhausted"));
}

TEST_F(IpamTest, ReleasedAddressIsNotReusedAtOnce) {
  EXPECT_EQ(allocate("pod-a"), "10.88.0.2");
  EXPECT_EQ(allocate("pod-b"), "10.88.0.3");
  EXPECT_EQ(allocate("pod-c"), "10.88.0.4");
  ASSERT_TRUE(ipam_.release("skiff0", "pod-b").ok());
  EXPECT_EQ(allocate("pod-d"), "10.88.0.5");
  EXPECT_EQ(listed(), (Owners{"pod-a=10.88.0.2", "pod-c=10.88.0.4", "pod-d=10.88.0.5"}));
  // Releasing what is not there succeeds.
  EXPECT_TRUE(ipam_.release("skiff0", "pod-b").ok());
  EXPECT_TRUE(ipam_.release("other", "pod-a").ok());
}

TEST_F(IpamTest, WrapsAroundAtTheEndOfTheRange) {
  subnet_ = subnet("192.168.7.8/29");
  for (int i = 0; i < 5; ++i) allocate("pod-" + std::to_string(i));
  ASSERT_TRUE(ipam_.release("skiff0", "pod-1").ok());  // .11
  ASSERT_TRUE(ipam_.release("skiff0", "pod-3").ok());  // .13
  EXPECT_EQ(allocate("pod-5"), "192.168.7.11");
  EXPECT_EQ(allocate("pod-6"), "192.168.7.13");
}

TEST_F(IpamTest, Sweep) {
  allocate("pod-a");
  allocate("pod-b");
  allocate("pod-c");
  Owners asked;
  auto gone = ipam_.sweep("skiff0", [&](const std::string& owner) {
    asked.push_back(owner);
    return owner == "pod-b";
  });
  ASSERT_TRUE(gone.ok()) << gone.error().message();
  EXPECT_EQ(*gone, (Owners{"pod-a", "pod-c"}));
  EXPECT_EQ(asked, (Owners{"pod-a", "pod-b", "pod-c"}));
  EXPECT_EQ(listed(), (Owners{"pod-b=10.88.0.3"}));
  auto nothing = ipam_.sweep("skiff0", [](const std::string&) { return true; });
  ASSERT_TRUE(nothing.ok());
  EXPECT_TRUE(nothing->empty());
}

TEST_F(IpamTest, NetworksAreIndependent) {
  EXPECT_EQ(allocate("pod-a"), "10.88.0.2");
  auto other = ipam_.allocate("other0", subnet_, "pod-b");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->str(), "10.88.0.2");
  auto swept = ipam_.sweep("other0", [](const std::string&) { return false; });
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(*swept, (Owners{"pod-b"}));
  EXPECT_EQ(listed(), (Owners{"pod-a=10.88.0.2"}));
  EXPECT_TRUE(listed("other0").empty());
}

TEST_F(IpamTest, StateSurvivesAReopen) {
  allocate("pod-a");
  allocate("pod-b");
  allocate("pod-c");
  ASSERT_TRUE(ipam_.release("skiff0", "pod-c").ok());
  {
    common::Database db = open_state_db(db_path());
    Ipam reopened(db);
    auto allocations = reopened.list("skiff0");
    ASSERT_TRUE(allocations.ok());
    ASSERT_EQ(allocations->size(), 2u);
    EXPECT_EQ((*allocations)[0].owner, "pod-a");
    EXPECT_EQ((*allocations)[1].address.str(), "10.88.0.3");
    EXPECT_EQ(reopened.allocate("skiff0", subnet_, "pod-b")->str(), "10.88.0.3");
    // The cursor survived too: .4 was released, the next one is .5.
    EXPECT_EQ(reopened.allocate("skiff0", subnet_, "pod-d")->str(), "10.88.0.5");
  }
  EXPECT_EQ(listed(), (Owners{"pod-a=10.88.0.2", "pod-b=10.88.0.3", "pod-d=10.88.0.5"}));
}

TEST_F(IpamTest, V6Subnet) {
  subnet_ = subnet("fd00:88::/64");
  EXPECT_EQ(allocate("pod-a"), "fd00:88::2");
  EXPECT_EQ(allocate("pod-b"), "fd00:88::3");
  EXPECT_EQ(allocate("pod-c", ip("fd00:88::ffff:ffff:ffff:fffe")), "fd00:88::ffff:ffff:ffff:fffe");
  EXPECT_EQ(allocate("pod-d"), "fd00:88::ffff:ffff:ffff:ffff");
  EXPECT_EQ(allocate("pod-e"), "fd00:88::4");  // wrapped around
  EXPECT_THAT(allocate_error("pod-x", ip("fd00:88::1")),
              HasSubstr("fd00:88::1 is the gateway of fd00:88::/64"));
  EXPECT_THAT(allocate_error("pod-x", ip("fd00:89::1")), HasSubstr("fd00:89::1 is outside fd00:88::/64"));

  subnet_ = subnet("fd00:99::/125");  // 8 addresses: ::2 to ::7 for pods, no broadcast
  for (int i = 0; i < 6; ++i) allocate("small-" + std::to_string(i));
  EXPECT_THAT(allocate_error("small-6"),
              HasSubstr("subnet fd00:99::/125 is exhausted (6 addresses allocated)"));
}

TEST_F(IpamTest, DualStackOwnerHasOneAddressPerSubnet) {
  Subnet v6 = subnet("fd00:88::/64");
  EXPECT_EQ(allocate("pod-a"), "10.88.0.2");
  auto a6 = ipam_.allocate("skiff0", v6, "pod-a");
  ASSERT_TRUE(a6.ok()) << a6.error().message();
  EXPECT_EQ(a6->str(), "fd00:88::2");
  EXPECT_EQ(allocate("pod-a"), "10.88.0.2");
  EXPECT_EQ(ipam_.allocate("skiff0", v6, "pod-a")->str(), "fd00:88::2");
  EXPECT_EQ(listed(), (Owners{"pod-a=10.88.0.2", "pod-a=fd00:88::2"}));
  ASSERT_TRUE(ipam_.release("skiff0", "pod-a").ok());
  EXPECT_TRUE(listed().empty());
}

TEST_F(IpamTest, CorruptRowIsAnErrorNamingTheDatabase) {
  ASSERT_TRUE(db_.exec("INSERT INTO net_allocations VALUES ('skiff0', 'garbage', 'pod-z', 0)").ok());
  auto allocations = ipam_.list("skiff0");
  ASSERT_FALSE(allocations.ok());
  EXPECT_EQ(allocations.error().message(), db_path() + ": net_allocations: \"garbage\" is not an IP address");
  EXPECT_THAT(allocate_error("pod-a"), HasSubstr("\"garbage\" is not an IP address"));
}

}  // namespace
}  // namespace skiff::net
