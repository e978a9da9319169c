#pragma once
// Compiled seccomp filters, cached. libseccomp needs ~12 ms to compile Docker's default
// profile on this host, more than the rest of a container's start; the cache makes every
// container after the first with the same profile skip it.
//
// Entries live in <runtime root>/@cache/seccomp/ ('@' cannot start a container id), one
// file per profile, named by a hash of the key and holding the full key: the profile's
// canonical JSON, libseccomp's version and the identity (inode, size, mtime) of the
// runtime binary that compiled it. A hash collision or a new binary is a miss, never a
// wrong filter. The directory is 0700 and the files 0600: only root (or the rootless user
// owning the runtime root) can plant a filter there, who could run any filter anyway.

#include <string>

#include "common/error.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"

namespace skiff::runtime {

/// compile_seccomp(s), from the cache under `root` when present there. Failing to read or
/// write the cache is never an error: it only costs the compile.
common::Result<CompiledSeccomp> compile_seccomp_cached(const Seccomp& s, const std::string& root);

}  // namespace skiff::runtime
