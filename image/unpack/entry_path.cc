#include "image/unpack/entry_path.h"

namespace skiff::image::unpack {

using common::Error;
using common::Result;

namespace {
constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kWhiteoutMetaPrefix = ".wh..wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
}  // namespace

Result<std::string> clean_entry_path(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  size_t pos = 0;
  while (pos <= name.size()) {
    size_t slash = name.find('/', pos);
    if (slash == std::string_view::npos) slash = name.size();
    std::string_view part = name.substr(pos, slash - pos);
    pos = slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") return Error("path \"" + std::string(name) + "\" has a \"..\" component");
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

Result<WhiteoutName> classify_whiteout(std::string_view base_name) {
  if (!base_name.starts_with(kWhiteoutPrefix)) return WhiteoutName{};
  if (base_name == kOpaqueMarker) return WhiteoutName{WhiteoutKind::Opaque, {}};
  if (base_name.starts_with(kWhiteoutMetaPrefix)) return WhiteoutName{WhiteoutKind::Metadata, {}};
  std::string_view target = base_name.substr(kWhiteoutPrefix.size());
  if (target.empty() || target == "." || target == "..") {
    return Error("whiteout \"" + std::string(base_name) + "\" names no file");
  }
  return WhiteoutName{WhiteoutKind::Whiteout, target};
}

SplitPath split_path(std::string_view clean_path) {
  size_t slash = clean_path.rfind('/');
  if (slash == std::string_view::npos) return {{}, clean_path};
  return {clean_path.substr(0, slash), clean_path.substr(slash + 1)};
}

}  // namespace skiff::image::unpack
