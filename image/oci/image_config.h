#pragma once
// The image configuration (image-spec config.md, and Docker's identical "config" object)
// and how it becomes a container's process, merged with user overrides the way docker and
// podman do.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "image/content/digest.h"
#include "image/oci/manifest.h"

namespace skiff::image {

struct ImageConfig {
  Platform platform;
  std::string created;  // RFC 3339, may be empty
  std::string author;
  // config.*
  std::string user;
  std::vector<std::string> env;
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::string working_dir;
  std::set<std::string> exposed_ports;  // "80/tcp"
  std::set<std::string> volumes;
  std::map<std::string, std::string> labels;
  std::string stop_signal;
  // rootfs
  std::vector<Digest> diff_ids;
};

/// Parses and validates (rootfs.type must be "layers", diff_ids valid digests, ...).
common::Result<ImageConfig> parse_image_config(std::string_view json);

/// What the user asked for on top of the image (docker run / a pod's container spec).
struct ProcessOverrides {
  std::optional<std::vector<std::string>> entrypoint{};  // replaces the image's (and drops its Cmd)
  std::optional<std::vector<std::string>> cmd{};         // replaces the image's Cmd
  std::vector<std::string> env{};                        // K=V, override image values by key; bare K unsets
  std::optional<std::string> working_dir{};
  std::optional<std::string> user{};  // "name", "uid", "uid:gid", "name:group"
};

/// The resolved process for the runtime's config.json.
struct ResolvedProcess {
  std::vector<std::string> args;
  std::vector<std::string> env;  // image env, then overrides; PATH defaulted if absent
  std::string cwd;               // "/" if neither sets one
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;  // from /etc/group membership of the user name
};

/// Merges image config and overrides like docker: args = entrypoint + cmd (an override
/// entrypoint discards the image cmd); user names are resolved through the rootfs's
/// /etc/passwd and /etc/group, read with RESOLVE_IN_ROOT so a hostile image cannot point
/// them at host files. `rootfs_fd` is a directory fd of the container's root (or of the
/// top snapshot). An empty resulting args list, or an unknown user name, is an error
/// naming the image field.
common::Result<ResolvedProcess> resolve_process(const ImageConfig& config, const ProcessOverrides& overrides,
                                                int rootfs_fd);

}  // namespace skiff::image
