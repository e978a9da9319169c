// skiff's registry pull side by side with skopeo, in one run (bench/README.md): a local
// docker-registry serves an image of several sizable layers of incompressible data; each
// run pulls it into a fresh, empty destination — skiff's pull_image into a ContentStore,
// `skopeo copy docker://... oci:DIR` — and the medians are compared.
//
//   image-pull-bench [--runs N] [--layers N] [--layer-mb MB] [--parallel N]
//
// Layers are MB, MB+5, MB+10, ... megabytes of random bytes in a tar, gzip -1 (so the
// compressed blobs are as large), pushed with skopeo from an OCI layout written here.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/args.h"
#include "image/content/content_store.h"
#include "image/oci/media_types.h"
#include "image/oci/reference.h"
#include "image/registry/registry_client.h"
#include "tests/image/registry/local_registry.h"

namespace {

namespace fs = std::filesystem;
namespace mt = skiff::image::media_types;
using Clock = std::chrono::steady_clock;
using nlohmann::json;
using skiff::image::Digest;
using skiff::testing::run_tool;

/// A temp dir removed with its contents when the benchmark ends, also on an exception.
class ScratchDir {
 public:
  ScratchDir() {
    char tmpl[] = "/var/tmp/skiff-pull-bench-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void check(const skiff::testing::ToolResult& r, const std::string& what) {
  if (r.exit_code != 0) throw std::runtime_error(what + ": " + r.output);
}

json put_blob(const std::string& layout, std::string_view media_type, const std::string& bytes) {
  Digest digest = Digest::of(bytes);
  std::ofstream(layout + "/blobs/sha256/" + std::string(digest.hex()), std::ios::binary) << bytes;
  return {{"mediaType", media_type}, {"digest", digest.str()}, {"size", bytes.size()}};
}

/// An OCI layout with tag "1": `layers` gzip tars of random data; returns total blob bytes.
int64_t write_layout(const std::string& work, const std::string& layout, int layers, int first_mb) {
  fs::create_directories(layout + "/blobs/sha256");
  std::ofstream(layout + "/oci-layout") << R"({"imageLayoutVersion":"1.0.0"})";
  std::mt19937_64 gen(42);
  json layer_descs = json::array();
  json diff_ids = json::array();
  int64_t total = 0;
  for (int i = 0; i < layers; ++i) {
    std::string dir = work + "/layer" + std::to_string(i);
    fs::create_directories(dir);
    std::string data(static_cast<size_t>(first_mb + 5 * i) << 20, '\0');
    for (size_t j = 0; j + 8 <= data.size(); j += 8) {
      uint64_t v = gen();
      std::memcpy(&data[j], &v, 8);
    }
    std::ofstream(dir + "/data.bin", std::ios::binary) << data;
    std::string tar = work + "/layer" + std::to_string(i) + ".tar";
    check(run_tool({"tar", "-C", dir, "-cf", tar, "."}), "tar");
    diff_ids.push_back(Digest::of(slurp(tar)).str());
    check(run_tool({"gzip", "-1", tar}), "gzip");
    std::string gz = slurp(tar + ".gz");
    total += static_cast<int64_t>(gz.size());
    layer_descs.push_back(put_blob(layout, mt::kOciLayerGzip, gz));
    fs::remove_all(dir);
    fs::remove(tar + ".gz");
  }
  json config = {{"architecture", "amd64"},
                 {"os", "linux"},
                 {"config", {{"Cmd", {"/bin/sh"}}}},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", mt::kOciManifest},
                   {"config", put_blob(layout, mt::kOciConfig, config.dump())},
                   {"layers", layer_descs}};
  json entry = put_blob(layout, mt::kOciManifest, manifest.dump());
  entry["annotations"] = {{"org.opencontainers.image.ref.name", "1"}};
  std::ofstream(layout + "/index.json") << json{{"schemaVersion", 2}, {"manifests", {entry}}}.dump();
  return total;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  int layers = 5;
  int layer_mb = 20;
  int parallel = 4;
  skiff::bench::Args args("image-pull-bench");
  args.integer("--runs", runs, "N", "pulls by each tool")
      .integer("--layers", layers, "N", "layers of the image")
      .integer("--layer-mb", layer_mb, "MB", "megabytes of the first layer (the next ones 5 more each)")
      .integer("--parallel", parallel, "N", "layers skiff pulls at a time");
  if (auto status = args.parse(argc, argv)) return *status;
  try {
    ScratchDir scratch;
    std::string layout = scratch.path() + "/layout";
    int64_t bytes = write_layout(scratch.path(), layout, layers, layer_mb);
    fs::create_directories(scratch.path() + "/registry");
    skiff::testing::LocalRegistry registry(scratch.path() + "/registry");
    std::string remote = registry.host() + "/bench:1";
    check(run_tool({"skopeo", "copy", "--quiet", "--dest-tls-verify=false", "oci:" + layout + ":1",
                    "docker://" + remote}),
          "skopeo push");
    fs::remove_all(layout);

    auto ref = skiff::image::parse_reference(remote);
    if (!ref) throw std::runtime_error(ref.error().message());
    skiff::image::PullOptions options;
    options.parallel_layers = parallel;
    auto skiff_pull = [&](const std::string& dest) {
      auto store = skiff::image::ContentStore::open(dest);
      if (!store) throw std::runtime_error(store.error().message());
      auto start = Clock::now();
      auto pulled = skiff::image::pull_image(*ref, *store, options);
      double s = seconds_since(start);
      if (!pulled) throw std::runtime_error(pulled.error().message());
      return s;
    };
    auto skopeo_pull = [&](const std::string& dest) {
      auto start = Clock::now();
      auto r = run_tool({"skopeo", "copy", "--quiet", "--src-tls-verify=false", "docker://" + remote,
                         "oci:" + dest + ":1"});
      double s = seconds_since(start);
      check(r, "skopeo pull");
      return s;
    };

    // One untimed round warms the registry's files into the page cache for both.
    std::vector<double> skiff_s, skopeo_s;
    for (int i = 0; i <= runs; ++i) {
      std::string dest = scratch.path() + "/dest";
      double a = skiff_pull(dest);
      fs::remove_all(dest);
      double b = skopeo_pull(dest);
      fs::remove_all(dest);
      if (i == 0) continue;
      skiff_s.push_back(a);
      skopeo_s.push_back(b);
    }
    double mb = static_cast<double>(bytes) / (1 << 20);
    double skiff_med = median(skiff_s);
    double skopeo_med = median(skopeo_s);
    std::printf(
        "Pull of %d layers, %.0f MiB compressed, from docker-registry on 127.0.0.1; %d runs, medians\n\n",
        layers, mb, runs);
    std::printf("| client | median s | min s | MiB/s | ratio |\n|---|---|---|---|---|\n");
    std::printf("| skiff (parallel %d) | %.3f | %.3f | %.0f | %.2f × skopeo |\n", parallel, skiff_med,
                *std::min_element(skiff_s.begin(), skiff_s.end()), mb / skiff_med, skiff_med / skopeo_med);
    std::printf("| skopeo copy | %.3f | %.3f | %.0f | 1.00 |\n", skopeo_med,
                *std::min_element(skopeo_s.begin(), skopeo_s.end()), mb / skopeo_med);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "image-pull-bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
