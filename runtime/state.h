#pragma once
// A container's persistent state under the runtime's --root (default /run/skiff-runtime),
// one directory per container holding state.json, written atomically. The live status is
// derived from the kernel, not trusted from the file: a container whose init died reads
// as stopped, and a recycled PID is told apart by its start time.

#include <sys/types.h>

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace skiff::runtime {

/// runc's rule, so ids that work with runc work here: letters, digits, '_', '+', '-', '.',
/// not "." or "..", at most 1024 bytes. Anything else could escape --root ("../x").
common::Status validate_container_id(std::string_view id);

enum class ContainerStatus { Creating, Created, Running, Paused, Stopped };
std::string_view status_name(ContainerStatus status);

struct ContainerState {
  std::string oci_version{};
  std::string id{};
  std::string bundle{};         ///< absolute path
  std::string rootfs{};         ///< absolute path
  pid_t pid = 0;                ///< host PID of the container's init; 0 before it exists
  uint64_t pid_start_time = 0;  ///< /proc/<pid>/stat starttime, to detect PID reuse
  ContainerStatus status = ContainerStatus::Creating;  ///< as last recorded
  std::string created{};                               ///< RFC 3339, UTC
  std::string cgroup_path{};                           ///< relative to the hierarchy roots
  std::string owner{};
  std::map<std::string, std::string> annotations{};
  /// Whether the saved config has poststart / poststop hooks: start and delete parse the
  /// config only then (a state without the fields is treated as having them).
  bool poststart_hooks = true;
  /// False when config.json has no process: the container can be created, not started.
  bool has_process = true;
  bool poststop_hooks = true;
};

nlohmann::json state_to_json(const ContainerState& state);
/// `where` names the file in errors.
common::Result<ContainerState> state_from_json(const nlohmann::json& json, const std::string& where);
/// The state as `runc state` prints it (the OCI state plus rootfs, created, owner).
nlohmann::json oci_state_json(const ContainerState& state, ContainerStatus live);

/// Start time (clock ticks since boot) of `pid`, from <proc_root>/<pid>/stat.
common::Result<uint64_t> process_start_time(pid_t pid, const std::string& proc_root = "/proc");
/// Stopped when the init is gone, a zombie, or its PID now belongs to another process;
/// otherwise the recorded status.
ContainerStatus live_status(const ContainerState& state, const std::string& proc_root = "/proc");

class StateStore {
 public:
  explicit StateStore(std::string root) : root_(std::move(root)) {}
  const std::string& root() const { return root_; }
  std::string dir_of(const std::string& id) const { return root_ + "/" + id; }

  /// Reserves the container's directory (mkdir 0711, so two creates of one id cannot both
  /// win): "container \"x\" already exists".
  common::Result<std::string> create_dir(const std::string& id) const;
  common::Status save(const ContainerState& state) const;
  /// "container \"x\" does not exist" for an unknown id.
  common::Result<ContainerState> load(const std::string& id) const;
  /// Ids with a state directory, sorted; an absent root is an empty list.
  common::Result<std::vector<std::string>> list_ids() const;
  /// Removes the container's directory and everything in it.
  common::Status remove(const std::string& id) const;

 private:
  std::string root_;
};

}  // namespace skiff::runtime
