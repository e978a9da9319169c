// Image references, with the valid and invalid cases of docker's reference package tests.

#include "image/oci/reference.h"

#include <gtest/gtest.h>

#include <string>

namespace skiff::image {
namespace {

const std::string kHex = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
const std::string kDigest = "sha256:" + kHex;

struct Valid {
  std::string in;
  std::string registry;
  std::string repository;
  std::string tag;
  bool digest;
  std::string familiar;
};

void PrintTo(const Valid& v, std::ostream* os) {
  *os << v.in;
}

class ValidReference : public ::testing::TestWithParam<Valid> {};

TEST_P(ValidReference, Normalizes) {
  const Valid& v = GetParam();
  auto ref = parse_reference(v.in);
  ASSERT_TRUE(ref.ok()) << ref.error().message();
  EXPECT_EQ(ref->registry, v.registry);
  EXPECT_EQ(ref->repository, v.repository);
  EXPECT_EQ(ref->tag, v.tag);
  EXPECT_EQ(ref->digest.has_value(), v.digest);
  if (v.digest) {
    EXPECT_EQ(ref->digest->str(), kDigest);
  }
  EXPECT_EQ(ref->familiar(), v.familiar);
  EXPECT_EQ(ref->name(), v.registry + "/" + v.repository);
  // str() is fully qualified and parses back to itself.
  auto again = parse_reference(ref->str());
  ASSERT_TRUE(again.ok()) << ref->str();
  EXPECT_EQ(again->str(), ref->str());
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ValidReference,
    ::testing::Values(
        Valid{"busybox", "docker.io", "library/busybox", "latest", false, "busybox:latest"},
        Valid{"test_com", "docker.io", "library/test_com", "latest", false, "test_com:latest"},
        Valid{"test.com:tag", "docker.io", "library/test.com", "tag", false, "test.com:tag"},
        Valid{"test.com:5000", "docker.io", "library/test.com", "5000", false, "test.com:5000"},
        Valid{"lowercase:Uppercase", "docker.io", "library/lowercase", "Uppercase", false,
              "lowercase:Uppercase"},
        Valid{"foo_bar.com:8080", "docker.io", "library/foo_bar.com", "8080", false, "foo_bar.com:8080"},
        Valid{"foo/foo_bar.com:8080", "docker.io", "foo/foo_bar.com", "8080", false, "foo/foo_bar.com:8080"},
        Valid{"docker.io/library/busybox", "docker.io", "library/busybox", "latest", false, "busybox:latest"},
        Valid{"docker.io/busybox:1.36", "docker.io", "library/busybox", "1.36", false, "busybox:1.36"},
        Valid{"index.docker.io/user/app", "docker.io", "user/app", "latest", false, "user/app:latest"},
        Valid{"user/app", "docker.io", "user/app", "latest", false, "user/app:latest"},
        Valid{"docker.io/library/a/b", "docker.io", "library/a/b", "latest", false, "library/a/b:latest"},
        Valid{"test.com/repo:tag", "test.com", "repo", "tag", false, "test.com/repo:tag"},
        Valid{"test:5000/repo", "test:5000", "repo", "latest", false, "test:5000/repo:latest"},
        Valid{"test:5000/repo:tag", "test:5000", "repo", "tag", false, "test:5000/repo:tag"},
        Valid{"test:5000/repo@" + kDigest, "test:5000", "repo", "", true, "test:5000/repo@" + kDigest},
        Valid{"test:5000/repo:tag@" + kDigest, "test:5000", "repo", "tag", true,
              "test:5000/repo:tag@" + kDigest},
        Valid{"busybox@" + kDigest, "docker.io", "library/busybox", "", true, "busybox@" + kDigest},
        Valid{"sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "bar/baz/quux", "latest", false,
              "sub-dom1.foo.com/bar/baz/quux:latest"},
        Valid{"sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux",
              "some-long-tag", false, "sub-dom1.foo.com/bar/baz/quux:some-long-tag"},
        Valid{"b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "test.example.com/my-app",
              "test.example.com", false, "b.gcr.io/test.example.com/my-app:test.example.com"},
        Valid{"xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", "xn--n3h.com", false,
              "xn--n3h.com/myimage:xn--n3h.com"},
        Valid{"localhost/app", "localhost", "app", "latest", false, "localhost/app:latest"},
        Valid{"localhost:5000/app:1", "localhost:5000", "app", "1", false, "localhost:5000/app:1"},
        Valid{"127.0.0.1:5000/a/b:c", "127.0.0.1:5000", "a/b", "c", false, "127.0.0.1:5000/a/b:c"},
        Valid{"[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "repo", "latest", false,
              "[2001:db8::1]:5000/repo:latest"},
        Valid{"[::1]/repo:t", "[::1]", "repo", "t", false, "[::1]/repo:t"},
        Valid{"Foo/bar", "Foo", "bar", "latest", false, "Foo/bar:latest"},
        Valid{"a__b/c--d/e.f/g_h", "docker.io", "a__b/c--d/e.f/g_h", "latest", false,
              "a__b/c--d/e.f/g_h:latest"},
        Valid{"repo:_tag", "docker.io", "library/repo", "_tag", false, "repo:_tag"},
        Valid{"repo:" + std::string(128, 't'), "docker.io", "library/repo", std::string(128, 't'), false,
              "repo:" + std::string(128, 't')}),
    [](const auto& tp) { return "case" + std::to_string(tp.index); });

struct Invalid {
  std::string in;
  std::string error;  // substring
};

void PrintTo(const Invalid& v, std::ostream* os) {
  *os << v.in;
}

class InvalidReference : public ::testing::TestWithParam<Invalid> {};

TEST_P(InvalidReference, SaysWhy) {
  auto ref = parse_reference(GetParam().in);
  ASSERT_FALSE(ref.ok()) << GetParam().in << " parsed as " << ref->str();
  const std::string& msg = ref.error().message();
  EXPECT_EQ(msg.rfind("invalid reference \"" + GetParam().in + "\": ", 0), 0u) << msg;
  EXPECT_NE(msg.find(GetParam().error), std::string::npos) << msg;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, InvalidReference,
    ::testing::Values(Invalid{"", "empty"}, Invalid{":justtag", "no repository name"},
                      Invalid{"@" + kDigest, "no repository name"},
                      Invalid{"repo@sha256:" + kHex + "ff", "invalid digest"},
                      Invalid{"validname@invaliddigest:" + kHex, "invalid digest"},
                      Invalid{"Uppercase:tag", "repository name \"library/Uppercase\" must be lowercase"},
                      Invalid{"test:5000/Uppercase/lowercase:tag", "must be lowercase"},
                      Invalid{"aa/asdf$$^/aa", "invalid repository name component \"asdf$$^\""},
                      Invalid{"a:/a", "invalid registry host \"a:\""},
                      Invalid{"[fe80::1%eth0]:5000/repo", "invalid registry host"},
                      Invalid{"-foo.com/repo", "invalid registry host"},
                      Invalid{"foo.com:port/repo", "invalid registry host"}, Invalid{kHex, "image id"},
                      Invalid{"foo___bar", "invalid repository name component"},
                      Invalid{"foo..bar", "invalid repository name component"},
                      Invalid{"foo-.bar", "invalid repository name component"},
                      Invalid{"-foo", "invalid repository name component"},
                      Invalid{"foo-", "invalid repository name component"},
                      Invalid{"foo//bar", "invalid repository name component \"\""},
                      Invalid{"foo/", "invalid repository name component"},
                      Invalid{"repo:-tag", "invalid tag \"-tag\""}, Invalid{"repo:.tag", "invalid tag"},
                      Invalid{"repo:", "invalid tag \"\""},
                      Invalid{"repo:" + std::string(129, 't'), "invalid tag"},
                      Invalid{"repo:ta/g", "invalid registry host \"repo:ta\""},
                      Invalid{"localhost:5000/" + std::string(241, 'a'), "longer than 255"}),
    [](const auto& tp) { return "case" + std::to_string(tp.index); });

TEST(Reference, NameLengthLimitIsOnTheNormalizedName) {
  // docker.io/library/ (18) + 237 = 255: just fits.
  EXPECT_TRUE(parse_reference(std::string(237, 'a')).ok());
  EXPECT_FALSE(parse_reference(std::string(238, 'a')).ok());
}

TEST(Reference, ApiHost) {
  EXPECT_EQ(parse_reference("busybox")->api_host(), "registry-1.docker.io");
  EXPECT_EQ(parse_reference("index.docker.io/x/y")->api_host(), "registry-1.docker.io");
  EXPECT_EQ(parse_reference("quay.io/x/y")->api_host(), "quay.io");
  EXPECT_EQ(parse_reference("127.0.0.1:5000/y")->api_host(), "127.0.0.1:5000");
}

TEST(Reference, LoopbackRegistries) {
  for (const char* loopback : {"localhost/a", "localhost:5000/a", "127.0.0.1/a", "127.0.0.1:5000/a",
                               "127.255.1.2:80/a", "[::1]/a", "[::1]:5000/a"}) {
    EXPECT_TRUE(parse_reference(loopback)->is_loopback_registry()) << loopback;
  }
  for (const char* remote :
       {"busybox", "quay.io/a", "128.0.0.1/a", "127.0.0.1.example.com/a", "127.0.0.256/a",
        "localhost.example.com/a", "[::2]/a", "[2001:db8::1]:5000/a", "localhostx:1/a"}) {
    EXPECT_FALSE(parse_reference(remote)->is_loopback_registry()) << remote;
  }
}

}  // namespace
}  // namespace skiff::image
