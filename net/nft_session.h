#pragma once
// One libnftables context: nft command text in, one transaction per run(), the kernel's
// error as one line out. Shared by the published ports (port_mapping.h) and the Services'
// balancing rules (service_balancer.h), which live in the same table.

#include <memory>
#include <string>
#include <string_view>

#include "common/error.h"

struct nft_ctx;

namespace skiff::net {

class NftSession {
 public:
  static common::Result<NftSession> open();
  /// Runs one buffer of nft commands as one transaction (all or nothing); returns what nft
  /// printed, if anything. Errors: "nft: <the kernel's or parser's message>".
  common::Result<std::string> run(const std::string& commands);
  /// The same, printing JSON with rule handles (for list commands).
  common::Result<std::string> run_json(const std::string& commands);

 private:
  struct Deleter {
    void operator()(nft_ctx* ctx) const;
  };
  explicit NftSession(std::unique_ptr<nft_ctx, Deleter> ctx) : ctx_(std::move(ctx)) {}
  std::unique_ptr<nft_ctx, Deleter> ctx_;
};

/// Names are spliced into nft command text: anything beyond [A-Za-z0-9] and `extra` could
/// end a string or a statement and inject rules of its own.
bool nft_safe_name(std::string_view name, std::string_view extra);

}  // namespace skiff::net
