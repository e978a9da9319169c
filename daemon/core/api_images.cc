// Images (docs/api.md "Images"): list, pull (streamed progress), import, inspect, remove,
// prune, all through image::ImageStore, which serializes its own writes.

#include <nlohmann/json.hpp>

#include "daemon/core/api.h"
#include "image/image_store.h"

namespace skiff::daemon {

using nlohmann::json;

namespace {

json summary_json(const image::ImageSummary& s) {
  return {{"id", s.manifest.str()}, {"config", s.config.str()}, {"names", s.names},
          {"size", s.size},         {"created", s.created},     {"platform", s.platform.str()}};
}

json raw_blob(const image::ImageStore& images, const image::Digest& digest) {
  auto text = images.content().read_blob(digest);
  if (!text) return nullptr;
  return json::parse(*text, nullptr, false);
}

}  // namespace

void add_image_routes(http::Router& router, ApiContext& api) {
  router.get("/v1/images", [&api](const http::Request&, http::Response& res) {
    auto images = api.images.list();
    if (!images) return reply_error(res, images.error());
    json items = json::array();
    for (const auto& s : *images) items.push_back(summary_json(s));
    res.json(200, list_of(std::move(items)));
  });

  router.post("/v1/images/pull", [&api](const http::Request& req, http::Response& res) {
    auto body = req.json_body();
    if (!body) return res.error(400, body.error().message());
    if (!body->is_object() || !body->contains("reference") || !(*body)["reference"].is_string())
      return res.error(422, "request body: \"reference\" is required");
    image::PullOptions options;
    options.tls_verify = body->value("tlsVerify", true);
    if (auto platform = body->value("platform", std::string()); !platform.empty()) {
      auto parsed = image::Platform::parse(platform);
      if (!parsed) return res.error(422, parsed.error().message());
      options.platform = *parsed;
    }
    http::Stream& stream = res.stream("application/x-ndjson");
    // Progress arrives on the pull's fetch threads; one writer at a time.
    std::mutex write_mutex;
    options.progress = [&](const image::PullProgress& p) {
      std::lock_guard lock(write_mutex);
      stream.write_json_line({{"progress",
                               {{"layer", p.digest},
                                {"bytes", p.done},
                                {"total", p.total},
                                {"skipped", p.skipped},
                                {"finished", p.finished}}}});
    };
    auto pulled = api.images.pull((*body)["reference"].get<std::string>(), options);
    std::lock_guard lock(write_mutex);
    if (!pulled) {
      stream.write_json_line({{"error", pulled.error().message()}});
      return;
    }
    stream.write_json_line({{"image", summary_json(*pulled)}});
  });

  router.post("/v1/images/import", [&api](const http::Request& req, http::Response& res) {
    auto body = req.json_body();
    if (!body) return res.error(400, body.error().message());
    if (!body->is_object() || !body->contains("path") || !(*body)["path"].is_string())
      return res.error(422, "request body: \"path\" is required");
    std::string path = (*body)["path"].get<std::string>();
    if (path.empty() || path.front() != '/') return res.error(422, "path \"" + path + "\": must be absolute");
    auto imported = api.images.import(path, image::Platform::host(), body->value("name", std::string()));
    if (!imported) return reply_error(res, imported.error());
    json items = json::array();
    for (const auto& s : *imported) items.push_back(summary_json(s));
    res.json(200, list_of(std::move(items)));
  });

  router.get("/v1/images/{ref}", [&api](const http::Request& req, http::Response& res) {
    auto details = api.images.inspect(std::string(req.param("ref")));
    if (!details) return reply_error(res, details.error());
    json layers = json::array();
    for (const auto& l : details->layers) {
      layers.push_back({{"digest", l.blob.digest.str()},
                        {"size", l.blob.size},
                        {"diffID", l.diff_id.str()},
                        {"chainID", l.chain_id.str()}});
    }
    res.json(200, {{"summary", summary_json(details->summary)},
                   {"manifest", raw_blob(api.images, details->summary.manifest)},
                   {"config", raw_blob(api.images, details->summary.config)},
                   {"layers", layers},
                   {"containers", details->containers}});
  });

  router.del("/v1/images/{ref}", [&api](const http::Request& req, http::Response& res) {
    auto force = req.query_bool("force", false);
    if (!force) return res.error(400, force.error().message());
    std::string ref(req.param("ref"));
    if (auto st = api.images.remove(ref, *force); !st) return reply_error(res, st.error());
    res.json(200, {{"removed", ref}});
  });

  router.post("/v1/images/prune", [&api](const http::Request&, http::Response& res) {
    auto report = api.images.prune();
    if (!report) return reply_error(res, report.error());
    json images = json::array();
    for (const auto& d : report->images) images.push_back(d.str());
    res.json(200,
             {{"images", images}, {"blobs", report->blobs.size()}, {"snapshots", report->snapshots.size()}});
  });
}

}  // namespace skiff::daemon
