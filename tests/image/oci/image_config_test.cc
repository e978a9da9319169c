// Image configs: the image-spec example, a Docker config, and bad fields by path.

#include "image/oci/image_config.h"

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

namespace skiff::image {
namespace {

using json = nlohmann::json;

// config.md "Example".
constexpr const char* kSpecConfig = R"({
    "created": "2015-10-31T22:22:56.015925234Z",
    "author": "Alyssa P. Hacker <alyspdev@example.com>",
    "architecture": "amd64",
    "os": "linux",
    "config": {
        "User": "alice",
        "ExposedPorts": {
            "8080/tcp": {}
        },
        "Env": [
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "FOO=oci_is_a",
            "BAR=well_written_spec"
        ],
        "Entrypoint": [
            "/bin/my-app-binary"
        ],
        "Cmd": [
            "--foreground",
            "--config",
            "/etc/my-app.d/default.cfg"
        ],
        "Volumes": {
            "/var/job-result-data": {},
            "/var/log/my-app-logs": {}
        },
        "WorkingDir": "/home/alice",
        "Labels": {
            "com.example.project.git.url": "https://example.com/project.git",
            "com.example.project.git.commit": "45a939b2999782a3f005621a8d0f29aa387e1d6b"
        }
    },
    "rootfs": {
      "diff_ids": [
        "sha256:c6f988f4874bb0add23a778f753c65efe992244e148a1d2ec2a8b664fb66bbd1",
        "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"
      ],
      "type": "layers"
    },
    "history": [
      {
        "created": "2015-10-31T22:22:54.690851953Z",
        "created_by": "/bin/sh -c #(nop) ADD file:a3bc1e842b69636f9df5256c49c5374fb4eef1e281fe3f282c65fb853ee171c5 in /"
      }
    ]
})";

// The shape `docker save` / a Docker registry serves (container_config, docker_version,
// null Entrypoint, variant), trimmed.
constexpr const char* kDockerConfig = R"({
  "architecture": "arm64",
  "variant": "v8",
  "config": {
    "Hostname": "", "Domainname": "", "User": "", "AttachStdin": false, "Tty": false,
    "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    "Cmd": ["sh"], "Image": "sha256:a416a98b71e224a31ee99cff8e16063554498227d2b696152a9c3e0aa65e5824",
    "Volumes": null, "WorkingDir": "", "Entrypoint": null, "OnBuild": null, "Labels": null,
    "StopSignal": "SIGRTMIN+3"
  },
  "container_config": {"Cmd": ["/bin/sh", "-c", "#(nop) ", "CMD [\"sh\"]"]},
  "created": "2023-05-19T20:19:23.172954164Z",
  "docker_version": "20.10.23",
  "history": [{"created": "2023-05-19T20:19:23Z", "created_by": "/bin/sh -c #(nop) ADD file:1 in / "}],
  "os": "linux",
  "rootfs": {"type": "layers",
             "diff_ids": ["sha256:9547b4c33213e630a0ca602a989ecc094e042146ae8afa502e1e65af6473db03"]}
})";

TEST(ImageConfig, SpecExample) {
  auto c = parse_image_config(kSpecConfig);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->platform.str(), "linux/amd64");
  EXPECT_EQ(c->created, "2015-10-31T22:22:56.015925234Z");
  EXPECT_EQ(c->author, "Alyssa P. Hacker <alyspdev@example.com>");
  EXPECT_EQ(c->user, "alice");
  EXPECT_EQ(c->env.size(), 3u);
  EXPECT_EQ(c->env[1], "FOO=oci_is_a");
  EXPECT_EQ(c->entrypoint, std::vector<std::string>{"/bin/my-app-binary"});
  EXPECT_EQ(c->cmd.size(), 3u);
  EXPECT_EQ(c->working_dir, "/home/alice");
  EXPECT_EQ(c->exposed_ports, std::set<std::string>{"8080/tcp"});
  EXPECT_EQ(c->volumes, (std::set<std::string>{"/var/job-result-data", "/var/log/my-app-logs"}));
  EXPECT_EQ(c->labels.at("com.example.project.git.commit"), "45a939b2999782a3f005621a8d0f29aa387e1d6b");
  EXPECT_TRUE(c->stop_signal.empty());
  ASSERT_EQ(c->diff_ids.size(), 2u);
  EXPECT_EQ(c->diff_ids[1].str(), "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef");
}

TEST(ImageConfig, DockerConfig) {
  auto c = parse_image_config(kDockerConfig);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->platform.str(), "linux/arm64/v8");
  EXPECT_TRUE(c->entrypoint.empty());
  EXPECT_EQ(c->cmd, std::vector<std::string>{"sh"});
  EXPECT_TRUE(c->volumes.empty());
  EXPECT_TRUE(c->labels.empty());
  EXPECT_EQ(c->stop_signal, "SIGRTMIN+3");
  EXPECT_EQ(c->diff_ids.size(), 1u);
}

TEST(ImageConfig, MinimalScratchImage) {
  auto c =
      parse_image_config(R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_TRUE(c->diff_ids.empty());
  EXPECT_TRUE(c->cmd.empty());
}

struct BadCase {
  const char* name;
  std::function<void(json&)> mutate;
  const char* error;  // the start of the message
};

void PrintTo(const BadCase& c, std::ostream* os) {
  *os << c.name;
}

class BadImageConfig : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadImageConfig, NamesTheField) {
  json j = json::parse(kSpecConfig);
  GetParam().mutate(j);
  auto c = parse_image_config(j.dump());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message().rfind(GetParam().error, 0), 0u) << c.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadImageConfig,
    ::testing::Values(
        BadCase{"EnvNotString", [](json& j) { j["config"]["Env"][1] = 5; },
                "config.Env[1]: expected a string, got number"},
        BadCase{"EnvNoEquals", [](json& j) { j["config"]["Env"][2] = "BAR"; },
                "config.Env[2]: \"BAR\" is not NAME=VALUE"},
        BadCase{"EnvEmptyName", [](json& j) { j["config"]["Env"][0] = "=x"; },
                "config.Env[0]: \"=x\" is not NAME=VALUE"},
        BadCase{"EntrypointString", [](json& j) { j["config"]["Entrypoint"] = "/bin/sh"; },
                "config.Entrypoint: expected an array, got string"},
        BadCase{"CmdItem", [](json& j) { j["config"]["Cmd"][2] = json::object(); },
                "config.Cmd[2]: expected a string, got object"},
        BadCase{"UserNumber", [](json& j) { j["config"]["User"] = 1000; },
                "config.User: expected a string, got number"},
        BadCase{"WorkingDirBool", [](json& j) { j["config"]["WorkingDir"] = true; },
                "config.WorkingDir: expected a string, got boolean"},
        BadCase{"PortsArray", [](json& j) { j["config"]["ExposedPorts"] = json::array({"80/tcp"}); },
                "config.ExposedPorts: expected an object, got array"},
        BadCase{"LabelValue", [](json& j) { j["config"]["Labels"]["x"] = 1; },
                "config.Labels.x: expected a string, got number"},
        BadCase{"ConfigArray", [](json& j) { j["config"] = json::array(); },
                "config: expected an object, got array"},
        BadCase{"NoArchitecture", [](json& j) { j.erase("architecture"); }, "architecture: is required"},
        BadCase{"NoOs", [](json& j) { j.erase("os"); }, "os: is required"},
        BadCase{"NoRootfs", [](json& j) { j.erase("rootfs"); }, "rootfs: is required"},
        BadCase{"RootfsType", [](json& j) { j["rootfs"]["type"] = "tar"; },
                "rootfs.type: must be \"layers\", got \"tar\""},
        BadCase{"NoDiffIds", [](json& j) { j["rootfs"].erase("diff_ids"); }, "rootfs.diff_ids: is required"},
        BadCase{"BadDiffId", [](json& j) { j["rootfs"]["diff_ids"][1] = "sha256:abc"; },
                "rootfs.diff_ids[1]: invalid digest \"sha256:abc\": "}),
    [](const auto& tp) { return std::string(tp.param.name); });

TEST(ImageConfig, NotJson) {
  auto c = parse_image_config("{");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message(), "image config: not valid JSON");
}

}  // namespace
}  // namespace skiff::image
