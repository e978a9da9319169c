#include <algorithm>

#include "common/json_reader.h"
#include "common/strings.h"
#include "image/oci/manifest.h"
#include "image/oci/platform_json.h"

namespace skiff::image {

using common::Error;
using common::Result;

namespace {

/// Spellings users type for --platform that mean a Go architecture (and maybe variant).
Platform normalize(Platform p) {
  std::transform(p.os.begin(), p.os.end(), p.os.begin(), [](unsigned char c) { return std::tolower(c); });
  std::transform(p.architecture.begin(), p.architecture.end(), p.architecture.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (p.architecture == "x86_64" || p.architecture == "x86-64") p.architecture = "amd64";
  if (p.architecture == "aarch64") p.architecture = "arm64";
  if (p.architecture == "i386") p.architecture = "386";
  if (p.architecture == "armhf") p = {p.os, "arm", "v7", p.os_version};
  if (p.architecture == "armel") p = {p.os, "arm", "v6", p.os_version};
  return p;
}

/// The variant an entry without one implies (containerd's normalization): arm64 images
/// are v8, arm ones v7, amd64 ones v1.
std::string effective_variant(const Platform& p) {
  if (!p.variant.empty()) return p.variant;
  if (p.architecture == "arm64") return "v8";
  if (p.architecture == "arm") return "v7";
  if (p.architecture == "amd64") return "v1";
  return "";
}

}  // namespace

std::string Platform::str() const {
  std::string out = os + "/" + architecture;
  if (!variant.empty()) out += "/" + variant;
  return out;
}

Result<Platform> Platform::parse(std::string_view text) {
  auto parts = common::split(text, '/', false);
  auto bad = [&](const std::string& why) {
    return Error("platform \"" + std::string(text) + "\": " + why, EINVAL);
  };
  if (parts.size() < 2 || parts.size() > 3) return bad("expected os/arch[/variant]");
  for (std::string_view part : parts) {
    if (part.empty()) return bad("expected os/arch[/variant], with no empty part");
  }
  Platform p{std::string(parts[0]), std::string(parts[1]), parts.size() == 3 ? std::string(parts[2]) : "",
             ""};
  return normalize(std::move(p));
}

Platform Platform::host() {
  // Go's GOARCH names, which image indexes use.
#if defined(__x86_64__)
  return {"linux", "amd64", "", ""};
#elif defined(__aarch64__)
  return {"linux", "arm64", "v8", ""};
#elif defined(__arm__)
  return {"linux", "arm", "v7", ""};
#elif defined(__i386__)
  return {"linux", "386", "", ""};
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return {"linux", "ppc64le", "", ""};
#elif defined(__s390x__)
  return {"linux", "s390x", "", ""};
#elif defined(__riscv) && __riscv_xlen == 64
  return {"linux", "riscv64", "", ""};
#else
#error "unknown architecture: add its GOARCH name to Platform::host"
#endif
}

Result<Platform> parse_platform_json(const nlohmann::json& j, const std::string& path) {
  if (auto st = common::require_object(j, path); !st) return st.error();
  common::JsonReader r(j, path);
  Platform p;
  r.required_string("architecture", p.architecture);
  r.required_string("os", p.os);
  r.string("variant", p.variant);
  r.string("os.version", p.os_version);
  if (auto st = r.status(); !st) return st.error();
  return p;
}

nlohmann::json platform_json(const Platform& platform) {
  nlohmann::json j = {{"architecture", platform.architecture}, {"os", platform.os}};
  if (!platform.variant.empty()) j["variant"] = platform.variant;
  if (!platform.os_version.empty()) j["os.version"] = platform.os_version;
  return j;
}

Result<Descriptor> select_platform(const Index& index, const Platform& wanted_in) {
  Platform wanted = normalize(wanted_in);
  std::string wanted_variant = effective_variant(wanted);
  const Descriptor* first_match = nullptr;
  std::string available;
  for (const Descriptor& d : index.manifests) {
    // Entries without a platform (attestations, nested indexes) match nothing.
    if (!d.platform) continue;
    Platform offered = normalize(*d.platform);
    if (!available.empty()) available += ", ";
    available += offered.str();
    if (offered.os != wanted.os || offered.architecture != wanted.architecture) continue;
    if (effective_variant(offered) == wanted_variant) return d;
    // No variant asked for: an entry with another variant is the fallback (arm/v6 on an
    // index that has no v7), first one wins.
    if (wanted.variant.empty() && !first_match) first_match = &d;
  }
  if (first_match) return *first_match;
  return Error("no manifest for " + wanted.str() + " in the index (available: " +
                   (available.empty() ? std::string("none with a platform") : available) + ")",
               ENOENT);
}

}  // namespace skiff::image
