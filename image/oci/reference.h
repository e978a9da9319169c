#pragma once
// Image references as docker and podman read them: "busybox" is
// docker.io/library/busybox:latest; "127.0.0.1:5000/app:1", "reg.example/x/y@sha256:..".

#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "image/content/digest.h"

namespace skiff::image {

struct Reference {
  std::string registry;    // "docker.io", "127.0.0.1:5000", "localhost:5000"
  std::string repository;  // "library/busybox", "app"
  std::string tag;         // "latest" when neither tag nor digest was given; may be empty with a digest
  std::optional<Digest> digest;

  /// Fully qualified: "docker.io/library/busybox:latest", "reg/x@sha256:..".
  std::string str() const;
  /// Short form as docker prints it: "busybox:latest", "127.0.0.1:5000/app:1".
  std::string familiar() const;
  /// registry + "/" + repository.
  std::string name() const;
  /// The host the API lives on (docker.io → registry-1.docker.io).
  std::string api_host() const;
  /// Whether plain HTTP is allowed without --tls-verify=false (localhost and 127.0.0.0/8, ::1).
  bool is_loopback_registry() const;
};

/// Parses and normalizes per the distribution reference grammar (lowercase repository
/// components, tag [\w][\w.-]{0,127}, a valid digest); errors quote the input and say
/// which part is wrong.
common::Result<Reference> parse_reference(std::string_view text);

}  // namespace skiff::image
