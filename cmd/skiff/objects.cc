// Declarative commands, as kubectl prints them: apply, delete, get, describe, scale, rollout.

#include <chrono>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <thread>

#include "cmd/skiff/cli.h"
#include "cmd/skiff/describe.h"
#include "cmd/skiff/json_fields.h"
#include "cmd/skiff/resources.h"
#include "cmd/skiff/tables.h"
#include "common/files.h"

namespace skiff::cmd {

using common::Error;
using common::Result;

namespace {

/// The body of /v1/apply and /v1/delete. The file is read here, so errors name the path as
/// the user typed it; "-" is stdin.
Result<json> file_body(const std::string& file) {
  std::string content;
  if (file == "-") {
    content.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    auto text = common::read_file(file);
    if (!text) return std::move(text).error();
    content = std::move(*text);
  }
  return json{{"fileName", file == "-" ? "STDIN" : file}, {"content", content}};
}

Result<KindInfo> kind_arg(const std::string& alias) {
  auto k = resolve_kind(alias);
  if (!k) {
    return Error("the server doesn't have a resource type \"" + alias +
                 "\" (skiff knows deployments, pods, services, hpa)");
  }
  return *k;
}

std::string object_path(const KindInfo& k, const std::string& name) {
  return "/v1/" + std::string(k.resource) + "/" + client::url_encode(name);
}

Result<int> apply_file(Context& ctx, const std::string& file) {
  auto body = file_body(file);
  if (!body) return std::move(body).error();
  auto r = ctx.call("POST", "/v1/apply", *body);
  if (!r) return std::move(r).error();
  for (const auto& w : array_at(*r, {"warnings"}))
    std::fprintf(stderr, "Warning: %s\n", str_at(w, {}).c_str());
  for (const auto& res : array_at(*r, {"results"})) std::printf("%s\n", apply_line(res).c_str());
  return 0;
}

struct DeleteOptions {
  std::string file;
  std::vector<std::string> args;
  bool ignore_not_found = false;
};

Result<int> delete_objects(Context& ctx, const DeleteOptions& o) {
  if (!o.file.empty()) {
    if (!o.args.empty()) return Error("delete: give either -f FILE or KIND NAME, not both");
    auto body = file_body(o.file);
    if (!body) return std::move(body).error();
    auto r = ctx.call("POST", "/v1/delete", *body);
    if (!r) return std::move(r).error();
    int code = 0;
    for (const auto& res : array_at(*r, {"results"})) {
      if (str_at(res, {"action"}) == "not found") {
        if (o.ignore_not_found) continue;
        std::fprintf(stderr, "Error from server (NotFound): %s\n", delete_line(res).c_str());
        code = 1;
      } else {
        std::printf("%s\n", delete_line(res).c_str());
      }
    }
    return code;
  }
  if (o.args.size() < 2) return Error("delete: give -f FILE, or KIND NAME...");
  auto k = kind_arg(o.args[0]);
  if (!k) return std::move(k).error();
  for (size_t i = 1; i < o.args.size(); ++i) {
    auto r = ctx.call("DELETE", object_path(*k, o.args[i]));
    if (!r) {
      if (o.ignore_not_found && r.error().message().find("not found") != std::string::npos) continue;
      return std::move(r).error();
    }
    json result = *r;
    if (!result.contains("kind")) result["kind"] = k->kind;
    if (!result.contains("name")) result["name"] = o.args[i];
    if (!result.contains("action")) result["action"] = "deleted";
    std::printf("%s\n", delete_line(result).c_str());
  }
  return 0;
}

struct GetOptions {
  std::string kind;
  std::string name;
  std::string output;
  std::string selector;
};

Result<int> get(Context& ctx, const GetOptions& o) {
  auto k = kind_arg(o.kind);
  if (!k) return std::move(k).error();
  json items = json::array();
  json answer;
  if (!o.name.empty()) {
    auto r = ctx.get(object_path(*k, o.name));
    if (!r) return std::move(r).error();
    answer = *r;
    items.push_back(*r);
  } else {
    std::string path = "/v1/" + std::string(k->resource);
    if (!o.selector.empty()) path += "?labelSelector=" + client::url_encode(o.selector);
    auto r = ctx.get(path);
    if (!r) return std::move(r).error();
    answer = *r;
    items = list_items(*r);
  }
  if (o.output == "json") {
    print_json(answer);
    return 0;
  }
  if (items.empty()) {
    std::fprintf(stderr, "No resources found in default namespace.\n");
    return 0;
  }
  std::fputs(objects_table(k->resource, items, ctx.now(), o.output == "wide").c_str(), stdout);
  return 0;
}

Result<int> describe(Context& ctx, const std::string& kind, const std::string& name) {
  auto k = kind_arg(kind);
  if (!k) return std::move(k).error();
  auto obj = ctx.get(object_path(*k, name));
  if (!obj) return std::move(obj).error();
  auto events = ctx.get("/v1/events?watch=false&kind=" + client::url_encode(k->kind) +
                        "&name=" + client::url_encode(name));
  if (!events) return std::move(events).error();
  json related;
  if (k->kind == "Service") {
    auto endpoints = ctx.get("/v1/endpoints/" + client::url_encode(name));
    if (!endpoints) return std::move(endpoints).error();
    related = std::move(*endpoints);
  }
  std::fputs(describe_object(k->resource, *obj, list_items(*events), ctx.now(), related).c_str(), stdout);
  return 0;
}

Result<KindInfo> deployment_arg(const std::string& kind) {
  auto k = kind_arg(kind);
  if (!k) return std::move(k).error();
  if (k->kind != "Deployment")
    return Error("only deployments can be scaled or rolled out, not \"" + kind + "\"");
  return *k;
}

Result<int> scale(Context& ctx, const std::string& kind, const std::string& name, int replicas) {
  auto k = deployment_arg(kind);
  if (!k) return std::move(k).error();
  if (replicas < 0) return Error("--replicas must be 0 or more, not " + std::to_string(replicas));
  auto r = ctx.call("PUT", object_path(*k, name) + "/scale", json{{"replicas", replicas}});
  if (!r) return std::move(r).error();
  std::printf("%s/%s scaled\n", std::string(k->qualified).c_str(), name.c_str());
  return 0;
}

/// "30s", "5m", "1h", "90" (seconds); 0 means no limit.
Result<int64_t> parse_timeout(const std::string& text) {
  if (text.empty()) return int64_t{0};
  char unit = text.back();
  int64_t scale = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : 0;
  std::string digits = scale == 0 ? text : text.substr(0, text.size() - 1);
  if (scale == 0) scale = 1;
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) {
    return Error("invalid --timeout \"" + text + "\": want a duration such as 30s, 5m or 1h");
  }
  return std::stoll(digits) * scale;
}

Result<int> rollout_status(Context& ctx, const std::string& kind, const std::string& name,
                           const std::string& timeout_text) {
  auto k = deployment_arg(kind);
  if (!k) return std::move(k).error();
  auto timeout = parse_timeout(timeout_text);
  if (!timeout) return std::move(timeout).error();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(*timeout);
  std::string last;
  while (true) {
    auto r = ctx.get(object_path(*k, name) + "/rollout");
    if (!r) return std::move(r).error();
    std::string message = str_at(*r, {"message"});
    // kubectl prints each new state once, not every poll.
    if (message != last && !message.empty()) std::printf("%s\n", message.c_str());
    std::fflush(stdout);
    last = message;
    const json* done = find_path(*r, {"done"});
    if (done != nullptr && done->is_boolean() && done->get<bool>()) return 0;
    if (*timeout > 0 && std::chrono::steady_clock::now() >= deadline) {
      return Error("timed out waiting for the condition");
    }
    // Polled: the API has no watch for rollouts. A second matches kubectl's pace.
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

Result<int> rollout_undo(Context& ctx, const std::string& kind, const std::string& name, int revision) {
  auto k = deployment_arg(kind);
  if (!k) return std::move(k).error();
  auto r = ctx.call("POST", object_path(*k, name) + "/rollback", json{{"toRevision", revision}});
  if (!r) return std::move(r).error();
  std::printf("%s/%s rolled back\n", std::string(k->qualified).c_str(), name.c_str());
  return 0;
}

struct KindName {
  std::string kind;
  std::string name;
};

void add_kind_name(CLI::App* sub, KindName& kn) {
  sub->add_option("kind", kn.kind, "deployment")->required();
  sub->add_option("name", kn.name, "the deployment's name")->required();
}

}  // namespace

void add_object_commands(CLI::App& app, Dispatch& d) {
  auto file = std::make_shared<std::string>();
  CLI::App* a = app.add_subcommand("apply", "create or update objects from a file");
  a->add_option("-f,--filename", *file, "file with the objects (JSON; - for stdin)")->required();
  on_run(a, d, [file](Context& ctx) { return apply_file(ctx, *file); });

  auto del = std::make_shared<DeleteOptions>();
  CLI::App* x = app.add_subcommand("delete", "delete objects by file or by kind and name");
  x->footer("\nUsage: skiff delete -f FILE | skiff delete KIND NAME...\n");
  x->add_option("-f,--filename", del->file, "file with the objects to delete");
  x->add_option("args", del->args, "KIND NAME...");
  x->add_flag("--ignore-not-found", del->ignore_not_found, "treat absent objects as deleted");
  on_run(x, d, [del](Context& ctx) { return delete_objects(ctx, *del); });

  auto g = std::make_shared<GetOptions>();
  CLI::App* gs = app.add_subcommand("get", "list objects: deployments, pods, services, hpa");
  gs->add_option("kind", g->kind, "deployments|deploy, pods|po, services|svc, hpa")->required();
  gs->add_option("name", g->name, "one object's name");
  add_output_flag(gs, g->output, {"json", "wide"});
  gs->add_option("-l,--selector", g->selector, "label selector, e.g. app=web");
  on_run(gs, d, [g](Context& ctx) { return get(ctx, *g); });

  auto desc = std::make_shared<KindName>();
  CLI::App* ds = app.add_subcommand("describe", "show an object's details and recent events");
  ds->add_option("kind", desc->kind, "deployment, pod, service or hpa")->required();
  ds->add_option("name", desc->name, "the object's name")->required();
  on_run(ds, d, [desc](Context& ctx) { return describe(ctx, desc->kind, desc->name); });

  auto sc = std::make_shared<KindName>();
  auto replicas = std::make_shared<int>(0);
  CLI::App* s = app.add_subcommand("scale", "set a deployment's replica count");
  add_kind_name(s, *sc);
  s->add_option("--replicas", *replicas, "the new number of replicas")->required();
  on_run(s, d, [sc, replicas](Context& ctx) { return scale(ctx, sc->kind, sc->name, *replicas); });

  CLI::App* ro = app.add_subcommand("rollout", "follow or undo a deployment's rollout");
  ro->require_subcommand(1);
  auto st = std::make_shared<KindName>();
  auto timeout = std::make_shared<std::string>("0");
  CLI::App* rs = ro->add_subcommand("status", "wait until a deployment's rollout is done");
  add_kind_name(rs, *st);
  rs->add_option("--timeout", *timeout, "give up after this long (30s, 5m; 0: never)");
  on_run(rs, d, [st, timeout](Context& ctx) { return rollout_status(ctx, st->kind, st->name, *timeout); });
  auto un = std::make_shared<KindName>();
  auto revision = std::make_shared<int>(0);
  CLI::App* ru = ro->add_subcommand("undo", "roll a deployment back to an earlier revision");
  add_kind_name(ru, *un);
  ru->add_option("--to-revision", *revision, "the revision (default 0: the previous one)");
  on_run(ru, d, [un, revision](Context& ctx) { return rollout_undo(ctx, un->kind, un->name, *revision); });
}

}  // namespace skiff::cmd
