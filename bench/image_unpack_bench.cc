// Layer unpack: skiff's SnapshotStore::unpack side by side with `tar -xzf`, `umoci raw
// unpack` and the decode floor `gzip -dc > /dev/null`, on one big gzip layer built here
// from directories of this machine, in one run; medians and ratios, never asserted.
//
//   image-unpack-bench [--runs N] [--work DIR] [--keep-layer] [--only gzip,tar,umoci,skiff] [DIR...]
//
// DIRs (relative to /) make the layer; the default mix is ~690 MB in ~24k entries, like
// the layer measured in the issue. Iterations interleave the tools so that drift hits all
// alike, `sync` runs before each timed step so that one tool's writeback is not charged
// to the next, and every output is kept until the end: this disk is slow to reuse inodes
// freed moments ago, which would penalize whichever tool runs after a delete.
//
// skiff's time includes its syncfs() (the snapshot's durability point); tar and umoci do
// not sync, so the table also shows tar followed by `sync`.

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/args.h"
#include "image/content/content_store.h"
#include "image/oci/media_types.h"
#include "image/unpack/snapshot_store.h"

namespace {

namespace fs = std::filesystem;
namespace mt = skiff::image::media_types;
using Clock = std::chrono::steady_clock;
using skiff::image::Digest;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// User+system CPU seconds of this process (all threads) and its waited-for children:
/// the machine is shared, and CPU time says what wall time under load cannot.
double cpu_seconds() {
  double total = 0;
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage ru{};
    getrusage(who, &ru);
    for (const timeval& tv : {ru.ru_utime, ru.ru_stime}) {
      total += static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
    }
  }
  return total;
}

bool shell(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  if (rc != 0) std::fprintf(stderr, "command failed (%d): %s\n", rc, cmd.c_str());
  return rc == 0;
}

struct Sample {
  double wall = -1;  // negative: failed
  double cpu = 0;
};

/// Times a shell command.
Sample time_shell(const std::string& cmd) {
  auto start = Clock::now();
  double cpu = cpu_seconds();
  bool ok = shell(cmd);
  return {ok ? seconds_since(start) : -1, cpu_seconds() - cpu};
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

Digest sha256_file(const std::string& path) {
  skiff::image::Sha256 hash;
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buf(1 << 20);
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
    hash.update(buf.data(), static_cast<size_t>(in.gcount()));
  }
  return hash.finish();
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

/// An OCI layout with one image "bench" of the one layer, for umoci.
void write_oci_layout(const std::string& dir, const std::string& layer_path, const Digest& layer_digest,
                      int64_t layer_size, const Digest& diff_id) {
  fs::create_directories(dir + "/blobs/sha256");
  write_file(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  fs::create_hard_link(layer_path, dir + "/blobs/sha256/" + std::string(layer_digest.hex()));
  nlohmann::json config = {{"architecture", "amd64"},
                           {"os", "linux"},
                           {"config", nlohmann::json::object()},
                           {"rootfs", {{"type", "layers"}, {"diff_ids", {diff_id.str()}}}}};
  std::string config_text = config.dump();
  Digest config_digest = Digest::of(config_text);
  write_file(dir + "/blobs/sha256/" + std::string(config_digest.hex()), config_text);
  nlohmann::json manifest = {
      {"schemaVersion", 2},
      {"mediaType", mt::kOciManifest},
      {"config",
       {{"mediaType", mt::kOciConfig}, {"digest", config_digest.str()}, {"size", config_text.size()}}},
      {"layers", {{{"mediaType", mt::kOciLayerGzip}, {"digest", layer_digest.str()}, {"size", layer_size}}}}};
  std::string manifest_text = manifest.dump();
  Digest manifest_digest = Digest::of(manifest_text);
  write_file(dir + "/blobs/sha256/" + std::string(manifest_digest.hex()), manifest_text);
  nlohmann::json index = {{"schemaVersion", 2},
                          {"manifests",
                           {{{"mediaType", mt::kOciManifest},
                             {"digest", manifest_digest.str()},
                             {"size", manifest_text.size()},
                             {"annotations", {{"org.opencontainers.image.ref.name", "bench"}}}}}}};
  write_file(dir + "/index.json", index.dump());
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

std::vector<double> field(const std::vector<Sample>& samples, double Sample::*member) {
  std::vector<double> out;
  out.reserve(samples.size());
  for (const Sample& s : samples) out.push_back(s.*member);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 3;
  std::string work = "/var/tmp/skiff-unpack-bench";
  bool keep_layer = false;
  std::string only = "gzip,tar,umoci,skiff";
  std::vector<std::string> dirs;
  skiff::bench::Args args("image-unpack-bench");
  args.integer("--runs", runs, "N", "iterations of every tool")
      .text("--work", work, "DIR", "where the layer and the tools' outputs go")
      .text("--only", only, "TOOLS", "the tools to run, of gzip,tar,umoci,skiff")
      .flag("--keep-layer", keep_layer, "reuse the layer of an earlier run if there is one")
      .rest("DIR", dirs,
            "directories of this machine, relative to /, that make the layer (default: ~690 MB under /usr)");
  if (auto status = args.parse(argc, argv)) return *status;
  if (dirs.empty())
    dirs = {"usr/lib/gcc", "usr/include", "usr/share/locale", "usr/share/doc", "usr/share/perl"};
  if (geteuid() != 0) {
    std::fprintf(stderr, "image-unpack-bench: needs root (owners, devices)\n");
    return 2;
  }

  // The layer: built once per run, or reused with --keep-layer.
  std::string layer_dir = work + "/layer";
  std::string tar_path = layer_dir + "/layer.tar";
  std::string gz_path = layer_dir + "/layer.tar.gz";
  fs::create_directories(layer_dir);
  if (!keep_layer || !fs::exists(gz_path)) {
    std::string cmd = "tar -C / -cf " + tar_path;
    for (const auto& d : dirs) cmd += " " + d;
    std::fprintf(stderr, "building the layer from %zu directories...\n", dirs.size());
    if (!shell(cmd) || !shell("gzip -6 -c " + tar_path + " > " + gz_path)) return 1;
  }
  Digest diff_id = sha256_file(tar_path);
  Digest layer_digest = sha256_file(gz_path);
  int64_t tar_size = static_cast<int64_t>(fs::file_size(tar_path));
  int64_t gz_size = static_cast<int64_t>(fs::file_size(gz_path));
  std::string entries = "?";
  {
    FILE* p = popen(("tar -tf " + tar_path + " | wc -l").c_str(), "r");
    char buf[64] = {};
    if (p != nullptr && std::fgets(buf, sizeof buf, p) != nullptr) entries = buf;
    if (p != nullptr) pclose(p);
    if (!entries.empty() && entries.back() == '\n') entries.pop_back();
  }

  // The same blob in skiff's content store and in an OCI layout for umoci.
  std::string out = work + "/out";
  fs::remove_all(out);
  fs::create_directories(out);
  auto content = skiff::image::ContentStore::open(out + "/content");
  if (!content) {
    std::fprintf(stderr, "%s\n", content.error().message().c_str());
    return 1;
  }
  {
    auto writer = content->writer(layer_digest, gz_size);
    std::string blob = read_all(gz_path);
    if (!writer || !writer->write(blob) || !writer->commit()) {
      std::fprintf(stderr, "storing the layer blob failed\n");
      return 1;
    }
  }
  write_oci_layout(out + "/oci", gz_path, layer_digest, gz_size, diff_id);
  skiff::image::Descriptor layer{.media_type = std::string(mt::kOciLayerGzip),
                                 .digest = layer_digest,
                                 .size = gz_size,
                                 .urls = {},
                                 .annotations = {},
                                 .platform = {}};

  auto wanted = [&](const char* tool) { return only.find(tool) != std::string::npos; };
  std::map<std::string, std::vector<Sample>> times;
  const std::vector<std::string> order = {"gzip -dc > /dev/null (decode floor)", "tar -xzf",
                                          "tar -xzf, then sync", "umoci raw unpack",
                                          "skiff unpack (incl. syncfs)"};
  for (int r = 0; r < runs; ++r) {
    std::string n = std::to_string(r);
    if (wanted("gzip")) {
      shell("sync");
      times[order[0]].push_back(time_shell("gzip -dc " + gz_path + " > /dev/null"));
    }
    if (wanted("tar")) {
      shell("sync");
      fs::create_directories(out + "/tar-" + n);
      auto start = Clock::now();
      Sample tar = time_shell("tar -xzf " + gz_path + " -C " + out + "/tar-" + n);
      times[order[1]].push_back(tar);
      bool synced = shell("sync");
      times[order[2]].push_back({synced && tar.wall >= 0 ? seconds_since(start) : -1, tar.cpu});
    }
    if (wanted("umoci")) {
      shell("sync");
      times[order[3]].push_back(
          time_shell("umoci --log error raw unpack --image " + out + "/oci:bench " + out + "/umoci-" + n));
    }
    if (wanted("skiff")) {
      shell("sync");
      auto store = skiff::image::SnapshotStore::open(out + "/skiff-" + n);
      if (!store) {
        std::fprintf(stderr, "%s\n", store.error().message().c_str());
        return 1;
      }
      auto start = Clock::now();
      double cpu = cpu_seconds();
      auto s = store->unpack(*content, layer, diff_id, diff_id);
      if (!s) std::fprintf(stderr, "skiff unpack: %s\n", s.error().message().c_str());
      times[order[4]].push_back({s ? seconds_since(start) : -1, cpu_seconds() - cpu});
    }
    std::fprintf(stderr, "run %d of %d done\n", r + 1, runs);
  }

  double tar_median = median(field(times[order[1]], &Sample::wall));
  double load[3] = {};
  getloadavg(load, 3);
  std::printf(
      "Layer: %s entries, %.0f MB uncompressed, %.0f MB gzip (%zu dirs of this machine); %d runs; "
      "load average at the end %.1f.\n\n",
      entries.c_str(), static_cast<double>(tar_size) / 1e6, static_cast<double>(gz_size) / 1e6, dirs.size(),
      runs, load[0]);
  std::printf(
      "| | median s | min s | max s | MB/s (uncompressed) | throughput vs tar -xzf | CPU s (median) |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
  for (const auto& name : order) {
    if (times[name].empty()) continue;
    std::vector<double> v = field(times[name], &Sample::wall);
    std::vector<double> cpu = field(times[name], &Sample::cpu);
    double m = median(v);
    std::printf("| %s | %.2f | %.2f | %.2f | %.0f | %s | %.2f |\n", name.c_str(), m,
                *std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end()),
                static_cast<double>(tar_size) / 1e6 / m,
                tar_median > 0 ? (std::to_string(tar_median / m).substr(0, 4) + "x").c_str() : "-",
                median(cpu));
  }

  std::fprintf(stderr, "removing the outputs...\n");
  fs::remove_all(out);
  if (!keep_layer) fs::remove_all(layer_dir);
  return 0;
}
