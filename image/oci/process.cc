// resolve_process: an image config plus user overrides becomes the container's process,
// with docker's and podman's merge rules.

#include <string_view>

#include "image/oci/image_config.h"
#include "image/oci/user_lookup.h"

namespace skiff::image {

using common::Error;
using common::Result;

namespace {

constexpr std::string_view kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string_view env_key(std::string_view entry) {
  return entry.substr(0, entry.find('='));
}

/// docker's ReplaceOrAppendEnvValues: an override replaces the image entry with the same
/// name in place, new names are appended, and a bare "NAME" (no '=') unsets NAME.
std::vector<std::string> merge_env(const std::vector<std::string>& image,
                                   const std::vector<std::string>& overrides) {
  std::vector<std::string> env = image;
  std::vector<bool> removed(env.size(), false);
  for (const std::string& entry : overrides) {
    std::string_view key = env_key(entry);
    bool unset = entry.find('=') == std::string::npos;
    bool replaced = false;
    for (size_t i = 0; i < env.size(); ++i) {
      if (env_key(env[i]) != key) continue;
      if (unset) {
        removed[i] = true;
      } else {
        env[i] = entry;
        removed[i] = false;
      }
      replaced = true;
    }
    if (!replaced && !unset) {
      env.push_back(entry);
      removed.push_back(false);
    }
  }
  std::vector<std::string> out;
  bool has_path = false;
  for (size_t i = 0; i < env.size(); ++i) {
    if (removed[i]) continue;
    has_path = has_path || env_key(env[i]) == "PATH";
    out.push_back(std::move(env[i]));
  }
  // docker puts its default PATH first; programs and shells in the image need one.
  if (!has_path) out.insert(out.begin(), "PATH=" + std::string(kDefaultPath));
  return out;
}

}  // namespace

Result<ResolvedProcess> resolve_process(const ImageConfig& config, const ProcessOverrides& overrides,
                                        int rootfs_fd) {
  ResolvedProcess out;
  // docker: a given entrypoint (even an empty one) drops the image's Cmd, since that Cmd
  // was written as arguments for the image's own entrypoint.
  out.args = overrides.entrypoint ? *overrides.entrypoint : config.entrypoint;
  if (overrides.cmd) {
    out.args.insert(out.args.end(), overrides.cmd->begin(), overrides.cmd->end());
  } else if (!overrides.entrypoint) {
    out.args.insert(out.args.end(), config.cmd.begin(), config.cmd.end());
  }
  if (out.args.empty()) return Error("image has no Entrypoint or Cmd and none was given", EINVAL);

  out.env = merge_env(config.env, overrides.env);

  if (overrides.working_dir) {
    if (!overrides.working_dir->starts_with('/')) {
      return Error("working directory \"" + *overrides.working_dir + "\": must be an absolute path", EINVAL);
    }
    out.cwd = *overrides.working_dir;
  } else if (!config.working_dir.empty()) {
    if (!config.working_dir.starts_with('/')) {
      return Error("image config WorkingDir \"" + config.working_dir + "\": must be an absolute path",
                   EINVAL);
    }
    out.cwd = config.working_dir;
  } else {
    out.cwd = "/";
  }

  const std::string& user = overrides.user ? *overrides.user : config.user;
  auto resolved = lookup_user(rootfs_fd, user);
  if (!resolved) {
    std::string where = overrides.user ? "user" : "image config User";
    return resolved.error().context(where + " \"" + user + "\"");
  }
  out.uid = resolved->uid;
  out.gid = resolved->gid;
  out.additional_gids = std::move(resolved->additional_gids);
  return out;
}

}  // namespace skiff::image
