#pragma once
// Routes such as `GET /v1/pods/{name}/log` to handlers. A path matches a pattern segment by
// segment; a literal segment beats a parameter (`/v1/images/pull` before
// `/v1/images/{ref}`), and a parameter takes one whole segment, decoded after splitting, so
// an encoded '/' (%2F) stays inside it.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/http/request.h"
#include "daemon/http/response.h"

namespace skiff::daemon::http {

/// Called on the connection's thread; may block (see Waiter). Throwing is a bug: the
/// server answers 500 with the exception's message and keeps serving.
using Handler = std::function<void(const Request&, Response&)>;

class Router {
 public:
  /// `pattern` starts with '/'; a segment is a literal or `{name}`. A malformed pattern or
  /// a method+pattern added twice is a programming error: throws std::invalid_argument.
  Router& add(std::string_view method, std::string_view pattern, Handler handler);
  Router& get(std::string_view pattern, Handler h) { return add("GET", pattern, std::move(h)); }
  Router& post(std::string_view pattern, Handler h) { return add("POST", pattern, std::move(h)); }
  Router& put(std::string_view pattern, Handler h) { return add("PUT", pattern, std::move(h)); }
  Router& del(std::string_view pattern, Handler h) { return add("DELETE", pattern, std::move(h)); }

  /// A router of copies of some of this one's routes (the read-only listener mounts the
  /// Unix API's GET routes this way): every `method` route whose pattern is in `patterns`.
  /// A pattern this router lacks is a programming error: throws std::invalid_argument.
  Router subset(std::string_view method, const std::vector<std::string_view>& patterns) const;

  struct Match {
    enum class Kind { Found, NotFound, MethodNotAllowed, BadPath };
    Kind kind = Kind::NotFound;
    const Handler* handler = nullptr;  ///< when Found
    std::string pattern{};             ///< when Found
    ParamMap params{};                 ///< when Found, decoded
    std::string allow{};               ///< when MethodNotAllowed: "GET, DELETE"
    std::string error{};               ///< when BadPath: why the path could not be decoded
  };
  /// `path` is the target's path, still percent-encoded.
  Match match(std::string_view method, std::string_view path) const;

  /// Routes `req` (filling req.route and req.path_params) and calls its handler, or answers
  /// 404, 405 (with Allow) or 400 (a malformed percent-escape) itself.
  void dispatch(Request& req, Response& res) const;

 private:
  struct Segment {
    std::string text{};  ///< the literal, or the parameter's name
    bool param = false;
  };
  struct Route {
    std::string method{};
    std::string pattern{};
    std::vector<Segment> segments{};
    Handler handler{};
  };
  std::vector<Route> routes_;
};

}  // namespace skiff::daemon::http
