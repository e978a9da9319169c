// Image commands: pull, image import, images, rmi, image inspect, image prune (podman's output).

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <vector>

#include "cmd/skiff/cli.h"
#include "cmd/skiff/format.h"
#include "cmd/skiff/json_fields.h"
#include "cmd/skiff/tables.h"

namespace skiff::cmd {

using common::Error;
using common::Result;
using common::Status;

namespace {

/// Draws a pull's progress: one line per layer, redrawn in place on a terminal, or plain
/// lines (a layer's start and its end) otherwise.
class PullProgress {
 public:
  PullProgress(bool tty, std::FILE* out) : tty_(tty), out_(out) {}

  void update(const std::string& layer, int64_t bytes, int64_t total) {
    auto [it, added] = layers_.try_emplace(layer, Layer{});
    if (added) order_.push_back(layer);
    Layer& l = it->second;
    l.bytes = bytes;
    l.total = total;
    if (tty_) {
      redraw();
      return;
    }
    if (added) std::fprintf(out_, "Copying blob %s\n", short_digest(layer).c_str());
    if (!l.reported_done && total > 0 && bytes >= total) {
      l.reported_done = true;
      std::fprintf(out_, "Copying blob %s done\n", short_digest(layer).c_str());
    }
    std::fflush(out_);
  }

 private:
  struct Layer {
    int64_t bytes = 0;
    int64_t total = 0;
    bool reported_done = false;
  };

  void redraw() {
    std::string out;
    if (drawn_ > 0) out += "\x1b[" + std::to_string(drawn_) + "A";  // back to the first layer's line
    for (const auto& name : order_) {
      const Layer& l = layers_[name];
      out += "\r\x1b[2K" + progress_line(name, l.bytes, l.total, 30) + "\n";
    }
    drawn_ = order_.size();
    std::fwrite(out.data(), 1, out.size(), out_);
    std::fflush(out_);
  }

  bool tty_;
  std::FILE* out_;
  std::map<std::string, Layer> layers_;
  std::vector<std::string> order_;
  size_t drawn_ = 0;
};

struct PullOptions {
  std::string reference{};
  bool tls_verify = true;
  std::string platform{};
};

/// Pulls through skiffd, drawing progress on `out`; returns the image id.
Result<std::string> pull_image(Context& ctx, const PullOptions& o, std::FILE* out, bool tty) {
  json body = {{"reference", o.reference}};
  if (!o.tls_verify) body["tlsVerify"] = false;
  if (!o.platform.empty()) body["platform"] = o.platform;
  PullProgress progress(tty, out);
  std::optional<std::string> failure;
  std::string image_id;
  auto st = ctx.client().stream("POST", "/v1/images/pull", body.dump(), [&](std::string_view line) {
    auto j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return true;  // blank keep-alive lines
    if (const json* p = find_path(j, {"progress"})) {
      progress.update(str_at(*p, {"layer"}), int_at(*p, {"bytes"}), int_at(*p, {"total"}));
    } else if (const json* img = find_path(j, {"image"})) {
      image_id = str_at(*img, {"id"});
    } else if (j.contains("error")) {
      failure = str_at(j, {"error"}, "pull failed");
    }
    return true;
  });
  if (!st) return std::move(st).error();
  if (failure) return Error(*failure);
  if (image_id.empty()) return Error("pull " + o.reference + ": skiffd ended the stream without a result");
  if (image_id.starts_with("sha256:")) image_id.erase(0, 7);
  return image_id;
}

Result<int> pull(Context& ctx, const PullOptions& o) {
  auto id = pull_image(ctx, o, stdout, ctx.stdout_tty());
  if (!id) return std::move(id).error();
  std::printf("%s\n", id->c_str());
  return 0;
}

Result<int> import_image(Context& ctx, const std::string& path, const std::string& name) {
  std::error_code ec;
  // The daemon reads the path itself, from its own working directory: send it absolute.
  std::filesystem::path abs = std::filesystem::absolute(path, ec);
  if (ec || !std::filesystem::exists(abs, ec)) return Error::from_errno(path, ENOENT);
  json body = {{"path", abs.string()}};
  if (!name.empty()) body["name"] = name;
  auto list = ctx.call("POST", "/v1/images/import", body);
  if (!list) return std::move(list).error();
  for (const auto& img : list_items(*list)) {
    const json& names = array_at(img, {"names"});
    if (names.empty()) {
      std::printf("Loaded image: %s\n", str_at(img, {"id"}).c_str());
    }
    for (const auto& n : names) std::printf("Loaded image: %s\n", str_at(n, {}).c_str());
  }
  return 0;
}

Result<int> images(Context& ctx, const std::string& output) {
  auto list = ctx.get("/v1/images");
  if (!list) return std::move(list).error();
  if (output == "json") {
    print_json(*list);
  } else {
    std::fputs(images_table(list_items(*list), ctx.now()).c_str(), stdout);
  }
  return 0;
}

Result<int> rmi(Context& ctx, const std::vector<std::string>& refs, bool force) {
  for (const auto& ref : refs) {
    auto r = ctx.call("DELETE",
                      "/v1/images/" + client::url_encode(ref) + (force ? "?force=true" : "?force=false"));
    if (!r) return std::move(r).error();
    std::printf("Untagged: %s\n", str_at(*r, {"removed"}, ref).c_str());
  }
  return 0;
}

Result<int> inspect(Context& ctx, const std::string& ref) {
  auto r = ctx.get("/v1/images/" + client::url_encode(ref));
  if (!r) return std::move(r).error();
  print_json(*r);
  return 0;
}

Result<int> prune(Context& ctx) {
  auto r = ctx.call("POST", "/v1/images/prune");
  if (!r) return std::move(r).error();
  for (const auto& img : array_at(*r, {"images"})) {
    std::string id = img.is_string() ? img.get<std::string>() : str_at(img, {"id"});
    if (id.starts_with("sha256:")) id.erase(0, 7);
    std::printf("%s\n", id.c_str());
  }
  return 0;
}

}  // namespace

Status pull_for_run(Context& ctx, const std::string& reference) {
  std::fprintf(stderr, "Trying to pull %s...\n", reference.c_str());
  auto id = pull_image(ctx, {.reference = reference}, stderr, ::isatty(2) == 1);
  if (!id) return std::move(id).error();
  return {};
}

void add_image_commands(CLI::App& app, Dispatch& d) {
  auto po = std::make_shared<PullOptions>();
  CLI::App* p = app.add_subcommand("pull", "pull an image from a registry");
  p->add_option("reference", po->reference, "image reference, e.g. 127.0.0.1:5000/app:1")->required();
  p->add_option("--tls-verify", po->tls_verify, "verify the registry's TLS certificate (true|false)");
  p->add_option("--platform", po->platform, "os/arch to pull, e.g. linux/amd64");
  on_run(p, d, [po](Context& ctx) { return pull(ctx, *po); });

  CLI::App* image = app.add_subcommand("image", "manage images (import, inspect, prune)");
  image->require_subcommand(1);
  auto import_path = std::make_shared<std::string>();
  auto import_name = std::make_shared<std::string>();
  CLI::App* imp = image->add_subcommand("import", "import an OCI layout dir, oci-archive or docker-archive");
  imp->add_option("path", *import_path, "the directory or archive")->required();
  imp->add_option("--name", *import_name, "name to give the imported image");
  on_run(imp, d,
         [import_path, import_name](Context& ctx) { return import_image(ctx, *import_path, *import_name); });
  auto inspect_ref = std::make_shared<std::string>();
  CLI::App* ins = image->add_subcommand("inspect", "show an image's manifest, config and layers");
  ins->add_option("reference", *inspect_ref, "image name or ID")->required();
  on_run(ins, d, [inspect_ref](Context& ctx) { return inspect(ctx, *inspect_ref); });
  on_run(image->add_subcommand("prune", "remove images no name or container uses"), d,
         [](Context& ctx) { return prune(ctx); });

  auto images_output = std::make_shared<std::string>();
  CLI::App* ls = app.add_subcommand("images", "list images");
  add_output_flag(ls, *images_output, {"json"});
  on_run(ls, d, [images_output](Context& ctx) { return images(ctx, *images_output); });

  auto rmi_refs = std::make_shared<std::vector<std::string>>();
  auto rmi_force = std::make_shared<bool>(false);
  CLI::App* rm = app.add_subcommand("rmi", "remove images");
  rm->add_option("reference", *rmi_refs, "image names or IDs")->required();
  rm->add_flag("-f,--force", *rmi_force, "remove even if a container uses it");
  on_run(rm, d, [rmi_refs, rmi_force](Context& ctx) { return rmi(ctx, *rmi_refs, *rmi_force); });
}

}  // namespace skiff::cmd
