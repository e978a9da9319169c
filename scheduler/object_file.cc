// Files of objects in the shapes kubectl reads (one object, a stream of objects, a v1 List)
// plus a bare JSON array; dispatch by apiVersion/kind; the pod-template hash.

#include <cerrno>
#include <set>

#include "common/files.h"
#include "scheduler/objects_parse.h"

namespace skiff::scheduler {

using detail::json;
using detail::Warnings;

namespace {

/// One top-level JSON value of a file and where it starts.
struct Chunk {
  std::string_view text;
  size_t offset = 0;
};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/// Splits a stream of JSON values at their ends, tracking strings and nesting, so that each
/// can be parsed (and a syntax error located) on its own. Malformed text ends up in a chunk
/// whose parse reports the error.
std::vector<Chunk> split_values(std::string_view text) {
  std::vector<Chunk> chunks;
  size_t i = 0;
  while (true) {
    while (i < text.size() && is_space(text[i])) ++i;
    if (i == text.size()) break;
    size_t start = i;
    int depth = 0;
    bool in_string = false;
    for (; i < text.size(); ++i) {
      char c = text[i];
      if (in_string) {
        if (c == '\\') {
          ++i;
        } else if (c == '"') {
          in_string = false;
          if (depth == 0) break;
        }
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth <= 0) break;
      } else if (depth == 0 && (is_space(c) || i + 1 == text.size())) {
        break;  // the end of a scalar
      }
    }
    i = std::min(i + 1, text.size());
    chunks.push_back({text.substr(start, i - start), start});
  }
  return chunks;
}

/// Records the first syntax error of a SAX parse.
struct SyntaxError : nlohmann::json_sax<json> {
  size_t position = 0;
  std::string message;
  bool null() override { return true; }
  bool boolean(bool /*val*/) override { return true; }
  bool number_integer(number_integer_t /*val*/) override { return true; }
  bool number_unsigned(number_unsigned_t /*val*/) override { return true; }
  bool number_float(number_float_t /*val*/, const string_t& /*s*/) override { return true; }
  bool string(string_t& /*val*/) override { return true; }
  bool binary(binary_t& /*val*/) override { return true; }
  bool start_object(std::size_t /*elements*/) override { return true; }
  bool key(string_t& /*val*/) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t /*elements*/) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t pos, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& ex) override {
    position = pos;
    std::string what = ex.what();
    size_t syntax = what.find("syntax error");
    message = syntax == std::string::npos ? what : what.substr(syntax);
    return false;
  }
};

std::string locate(std::string_view text, size_t offset) {
  size_t line = 1;
  size_t column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

common::Result<json> parse_chunk(std::string_view text, const Chunk& chunk) {
  json j = json::parse(chunk.text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_discarded()) return j;
  SyntaxError error;
  json::sax_parse(chunk.text, &error);
  // The SAX position counts the characters read: the location is the offending token's last one.
  size_t at = chunk.offset + (error.position > 0 ? error.position - 1 : 0);
  return common::Error(locate(text, at) + ": " + error.message, EINVAL);
}

/// "Deployment web", "Deployment" or "object" — what an error calls the object.
std::string describe(const json& j) {
  std::string out;
  if (j.is_object()) {
    if (auto k = j.find("kind"); k != j.end() && k->is_string()) out = k->get<std::string>();
    if (auto m = j.find("metadata"); m != j.end() && m->is_object())
      if (auto n = m->find("name"); n != m->end() && n->is_string() && !out.empty())
        out += " " + n->get<std::string>();
  }
  return out.empty() ? "object" : out;
}

common::Result<Object> parse_one(const json& j, Warnings& w) {
  if (auto st = detail::open(j, "", Shape::Object, w); !st) return std::move(st).error();
  common::JsonReader r(j, "");
  std::string api_version;
  std::string kind;
  r.required_string("apiVersion", api_version);
  r.required_string("kind", kind);
  if (!r.ok()) return r.status().error();
  struct Known {
    const char* kind;
    const char* api_version;
  };
  for (Known k : {Known{"Deployment", "apps/v1"}, Known{"Service", "v1"},
                  Known{"HorizontalPodAutoscaler", "autoscaling/v2"}}) {
    if (kind != k.kind) continue;
    if (api_version != k.api_version)
      return detail::invalid("apiVersion", detail::unsupported_value(api_version, {k.api_version}));
    if (kind == "Deployment") {
      auto d = detail::parse_deployment(j, w);
      if (!d) return std::move(d).error();
      return Object{std::move(*d)};
    }
    if (kind == "Service") {
      auto s = detail::parse_service(j, w);
      if (!s) return std::move(s).error();
      return Object{std::move(*s)};
    }
    auto h = detail::parse_hpa(j, w);
    if (!h) return std::move(h).error();
    return Object{std::move(*h)};
  }
  return detail::invalid(
      "kind", detail::unsupported_value(kind, {"Deployment", "HorizontalPodAutoscaler", "Service"}));
}

/// An object of a file: its JSON and how messages name its place ("items[0]", "" alone).
struct Entry {
  const json* j;
  std::string where;
};

common::Status list_items(const json& value, const std::string& where, std::vector<Entry>& out) {
  auto prefix = [&](const std::string& item) { return where.empty() ? item : where + ": " + item; };
  if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i)
      out.push_back({&value[i], prefix("[" + std::to_string(i) + "]")});
    return {};
  }
  auto kind = value.is_object() ? value.find("kind") : value.end();
  if (kind == value.end() || *kind != "List") {
    out.push_back({&value, where});
    return {};
  }
  std::string at = where.empty() ? "" : where + ": ";
  if (auto st = common::require_object(value, where.empty() ? "List" : where); !st) return st;
  for (const auto& [key, v] : value.items()) {
    if (key == "apiVersion" || key == "kind" || key == "items" || key == "metadata") continue;
    return common::Error(at + key + ": unknown field", EINVAL);
  }
  if (value.value("apiVersion", "") != "v1")
    return common::Error(at + "apiVersion: a List must have apiVersion \"v1\"", EINVAL);
  auto items = value.find("items");
  if (items == value.end() || !items->is_array())
    return common::Error(at + "items: expected an array", EINVAL);
  for (size_t i = 0; i < items->size(); ++i)
    out.push_back({&(*items)[i], prefix("items[" + std::to_string(i) + "]")});
  return {};
}

}  // namespace

common::Result<Object> parse_object(const json& j, std::vector<std::string>& warnings) {
  Warnings w;
  auto o = parse_one(j, w);
  std::string who = describe(j) + ": ";
  for (const std::string& warning : w) warnings.push_back(who + warning);
  if (!o) return std::move(o).error().context(describe(j));
  return o;
}

common::Result<ParsedObjects> parse_objects(std::string_view text, std::string_view file_name) {
  std::string file(file_name);
  std::vector<Chunk> chunks = split_values(text);
  if (chunks.empty()) return common::Error(file + ": no objects", EINVAL);
  std::vector<json> values;
  for (const Chunk& c : chunks) {
    auto j = parse_chunk(text, c);
    if (!j) return std::move(j).error().context(file);
    values.push_back(std::move(*j));
  }
  ParsedObjects out;
  std::vector<Entry> entries;
  for (size_t i = 0; i < values.size(); ++i) {
    std::string where = values.size() == 1 ? "" : "object " + std::to_string(i);
    if (auto st = list_items(values[i], where, entries); !st) return std::move(st).error().context(file);
  }
  std::map<std::pair<std::string, std::string>, std::string> seen;
  for (const Entry& e : entries) {
    // "web.json: items[0] (Deployment web)" or, for a file of one object, "web.json: Deployment web".
    std::string label =
        file + ": " + (e.where.empty() ? describe(*e.j) : e.where + " (" + describe(*e.j) + ")");
    Warnings w;
    auto o = parse_one(*e.j, w);
    for (const std::string& warning : w) out.warnings.push_back(label + ": " + warning);
    if (!o) return std::move(o).error().context(label);
    auto key = std::make_pair(std::string(kind_of(*o)), metadata_of(*o).name);
    if (auto [it, fresh] = seen.emplace(key, e.where); !fresh)
      return common::Error(label + ": duplicate of " + it->second, EINVAL);
    out.objects.push_back(std::move(*o));
  }
  return out;
}

common::Result<ParsedObjects> read_object_file(const std::string& path) {
  auto text = common::read_file(path);
  if (!text) return std::move(text).error();
  return parse_objects(*text, path);
}

const char* kind_of(const Object& o) {
  static constexpr const char* kKinds[] = {"Deployment", "Service", "HorizontalPodAutoscaler"};
  return kKinds[o.index()];
}

const ObjectMeta& metadata_of(const Object& o) {
  return std::visit([](const auto& x) -> const ObjectMeta& { return x.metadata; }, o);
}

json to_json(const Object& o) {
  return std::visit([](const auto& x) { return to_json(x); }, o);
}

std::string pod_template_hash(const PodTemplateSpec& t, std::optional<int32_t> collision_count) {
  // FNV-1a, 32 bits, as Kubernetes' ComputeHash; the collision count is hashed after the
  // template as four little-endian bytes.
  uint32_t h = 2166136261U;
  auto add = [&h](unsigned char byte) {
    h ^= byte;
    h *= 16777619U;
  };
  for (char c : to_json(t).dump()) add(static_cast<unsigned char>(c));
  if (collision_count) {
    auto v = static_cast<uint32_t>(*collision_count);
    for (int i = 0; i < 4; ++i) add(static_cast<unsigned char>(v >> (8 * i)));
  }
  // Kubernetes' SafeEncodeString of the decimal text: no vowels, so no words by accident.
  static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  for (char c : std::to_string(h)) out.push_back(kAlphabet[static_cast<unsigned char>(c) % kAlphabet.size()]);
  return out;
}

}  // namespace skiff::scheduler
