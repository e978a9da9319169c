#include "daemon/http/router.h"

#include <algorithm>
#include <stdexcept>

#include "common/strings.h"
#include "daemon/http/url.h"

namespace skiff::daemon::http {
namespace {

// "/v1/pods/x" → {"v1", "pods", "x"}; empty segments are kept so "/v1//x" and "/v1/x/"
// match nothing rather than something unexpected.
std::vector<std::string_view> split_path(std::string_view path) {
  return common::split(path.substr(1), '/', /*skip_empty=*/false);
}

// True when `a` is more specific than `b`: at the first segment where they differ in kind,
// `a` has the literal.
bool more_specific(const std::vector<bool>& a, const std::vector<bool>& b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i)
    if (a[i] != b[i]) return a[i];
  return false;
}

}  // namespace

Router& Router::add(std::string_view method, std::string_view pattern, Handler handler) {
  if (method.empty() || pattern.empty() || pattern.front() != '/')
    throw std::invalid_argument("route pattern \"" + std::string(pattern) + "\": must start with '/'");
  Route route{.method = std::string(method), .pattern = std::string(pattern), .handler = std::move(handler)};
  for (std::string_view seg : split_path(pattern)) {
    if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}') {
      std::string_view name = seg.substr(1, seg.size() - 2);
      if (name.empty() || name.find_first_of("{}/") != std::string_view::npos)
        throw std::invalid_argument("route pattern \"" + std::string(pattern) + "\": bad parameter " +
                                    std::string(seg));
      route.segments.push_back({.text = std::string(name), .param = true});
    } else {
      if (seg.find_first_of("{}") != std::string_view::npos)
        throw std::invalid_argument("route pattern \"" + std::string(pattern) + "\": bad segment " +
                                    std::string(seg));
      route.segments.push_back({.text = std::string(seg), .param = false});
    }
  }
  for (const Route& r : routes_)
    if (r.method == route.method && r.pattern == route.pattern)
      throw std::invalid_argument("route " + route.method + " " + route.pattern + " added twice");
  routes_.push_back(std::move(route));
  return *this;
}

Router Router::subset(std::string_view method, const std::vector<std::string_view>& patterns) const {
  Router out;
  for (std::string_view pattern : patterns) {
    auto it = std::find_if(routes_.begin(), routes_.end(),
                           [&](const Route& r) { return r.method == method && r.pattern == pattern; });
    if (it == routes_.end())
      throw std::invalid_argument("route " + std::string(method) + " " + std::string(pattern) +
                                  ": not in the router");
    out.routes_.push_back(*it);
  }
  return out;
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match result;
  if (path.empty() || path.front() != '/') return result;
  std::vector<std::string_view> segs = split_path(path);

  const Route* best = nullptr;
  std::vector<bool> best_shape;
  std::vector<std::string> allowed;
  for (const Route& r : routes_) {
    if (r.segments.size() != segs.size()) continue;
    std::vector<bool> shape;
    bool ok = true;
    for (size_t i = 0; ok && i < segs.size(); ++i) {
      const Segment& s = r.segments[i];
      ok = s.param ? !segs[i].empty() : s.text == segs[i];
      shape.push_back(!s.param);
    }
    if (!ok) continue;
    if (r.method != method) {
      if (std::find(allowed.begin(), allowed.end(), r.method) == allowed.end()) allowed.push_back(r.method);
      continue;
    }
    if (!best || more_specific(shape, best_shape)) {
      best = &r;
      best_shape = std::move(shape);
    }
  }

  if (!best) {
    if (!allowed.empty()) {
      result.kind = Match::Kind::MethodNotAllowed;
      std::sort(allowed.begin(), allowed.end());
      for (const std::string& m : allowed) result.allow += (result.allow.empty() ? "" : ", ") + m;
    }
    return result;
  }
  for (size_t i = 0; i < segs.size(); ++i) {
    if (!best->segments[i].param) continue;
    auto value = percent_decode(segs[i]);
    if (!value) {
      result.kind = Match::Kind::BadPath;
      result.error = "path: " + value.error().message();
      return result;
    }
    result.params.emplace(best->segments[i].text, std::move(*value));
  }
  result.kind = Match::Kind::Found;
  result.handler = &best->handler;
  result.pattern = best->pattern;
  return result;
}

void Router::dispatch(Request& req, Response& res) const {
  Match m = match(req.method, req.path);
  switch (m.kind) {
    case Match::Kind::Found:
      req.route = std::move(m.pattern);
      req.path_params = std::move(m.params);
      (*m.handler)(req, res);
      return;
    case Match::Kind::NotFound:
      res.error(404, "no such path: " + req.path);
      return;
    case Match::Kind::MethodNotAllowed:
      res.set_header("Allow", m.allow);
      res.error(405, "method " + req.method + " not allowed for " + req.path + " (allowed: " + m.allow + ")");
      return;
    case Match::Kind::BadPath:
      res.error(400, m.error);
      return;
  }
}

}  // namespace skiff::daemon::http
