#pragma once
// The parent <-> container-init channel: one SOCK_SEQPACKET socketpair, one message per
// step. The init reports a failure as one message (errno + text) so that `create` fails
// with the init's own reason ("mount proc on /proc: permission denied") and unwinds.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"

namespace skiff::runtime {

enum class SyncType : uint32_t {
  Go = 1,            ///< parent -> init: id maps written, cgroup joined; `value` = init's host pid
  RunHooks = 2,      ///< init -> parent: mounts are ready, run createRuntime/prestart hooks
  HooksDone = 3,     ///< parent -> init
  Ready = 4,         ///< init -> parent: about to wait on exec.fifo (or exec, for `exec`)
  Failed = 5,        ///< init -> parent: `value` = errno, `text` = message
  SendListener = 6,  ///< init -> parent: the seccomp listener fd follows (SCM_RIGHTS)
};

struct SyncMessage {
  SyncType type = SyncType::Failed;
  int64_t value = 0;
  std::string text{};
};

struct SyncPair {
  common::UniqueFd parent;
  common::UniqueFd child;
};

/// Parent side: sends `message` to the child; if the child already failed and hung up,
/// returns the child's own error (its Failed message is still queued), not a broken pipe.
common::Status sync_send_to_child(int sock, const SyncMessage& message);

common::Result<SyncPair> make_sync_pair();
/// `fd` rides along with SCM_RIGHTS when >= 0.
common::Status sync_send(int sock, const SyncMessage& message, int fd = -1);
/// EOF (the other side died or closed) is an error with code EPIPE. `fd_out`, when given,
/// receives an fd sent with the message (or stays -1).
common::Result<SyncMessage> sync_receive(int sock, common::UniqueFd* fd_out = nullptr);
/// Receives one message and checks its type; a Failed message becomes its error.
common::Status sync_expect(int sock, SyncType type, std::string_view what);

}  // namespace skiff::runtime
