#include "net/nft_session.h"

#include <nftables/libnftables.h>

#include <algorithm>
#include <cerrno>

#include "common/strings.h"

namespace skiff::net {

using common::Error;
using common::Result;

namespace {

// nft's error buffer holds "Error: <what>", the offending command and a caret line; one line
// of it is enough for an Error ("Could not process rule: No such file or directory: add ...").
std::string one_line(std::string_view text) {
  std::string out;
  for (std::string_view line : common::split(text, '\n')) {
    line = common::trim(line);
    if (line.empty() || line.find_first_not_of("^~ ") == std::string_view::npos) continue;
    if (line.substr(0, 7) == "Error: ") line.remove_prefix(7);
    out += (out.empty() ? "" : ": ") + std::string(line);
  }
  return out.empty() ? "failed without a message" : out;
}

}  // namespace

void NftSession::Deleter::operator()(nft_ctx* ctx) const {
  nft_ctx_free(ctx);
}

Result<NftSession> NftSession::open() {
  std::unique_ptr<nft_ctx, Deleter> ctx(nft_ctx_new(NFT_CTX_DEFAULT));
  if (!ctx) return Error("nft_ctx_new failed", ENOMEM);
  nft_ctx_buffer_output(ctx.get());
  nft_ctx_buffer_error(ctx.get());
  return NftSession(std::move(ctx));
}

Result<std::string> NftSession::run(const std::string& commands) {
  // The error buffer keeps what earlier runs wrote until it is read; reading it resets it.
  (void)nft_ctx_get_error_buffer(ctx_.get());
  (void)nft_ctx_get_output_buffer(ctx_.get());
  if (nft_run_cmd_from_buffer(ctx_.get(), commands.c_str()) != 0)
    return Error("nft: " + one_line(nft_ctx_get_error_buffer(ctx_.get())), EIO);
  return std::string(nft_ctx_get_output_buffer(ctx_.get()));
}

Result<std::string> NftSession::run_json(const std::string& commands) {
  nft_ctx_output_set_flags(ctx_.get(), NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
  auto out = run(commands);
  nft_ctx_output_set_flags(ctx_.get(), 0);
  return out;
}

bool nft_safe_name(std::string_view name, std::string_view extra) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           extra.find(c) != std::string_view::npos;
  });
}

}  // namespace skiff::net
