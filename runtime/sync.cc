#include "runtime/sync.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>

#include "runtime/unix_socket.h"

namespace skiff::runtime {

using common::Error;
using common::Result;
using common::Status;
using common::UniqueFd;

namespace {

// Fixed header, then the text; a seqpacket message never arrives split.
struct Header {
  uint32_t type;
  uint32_t text_size;
  int64_t value;
};
constexpr size_t kMaxText = 8192;

}  // namespace

Result<SyncPair> make_sync_pair() {
  std::array<int, 2> fds{};
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds.data()) != 0)
    return Error::from_errno("socketpair");
  return SyncPair{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

Status sync_send(int sock, const SyncMessage& message, int fd) {
  size_t text_size = std::min(message.text.size(), kMaxText);
  Header header{static_cast<uint32_t>(message.type), static_cast<uint32_t>(text_size), message.value};
  std::array<iovec, 2> iov{{{&header, sizeof header}, {const_cast<char*>(message.text.data()), text_size}}};
  auto sent = send_with_fd(sock, iov, fd, "send to the container init");
  if (!sent) return std::move(sent).error();
  return {};
}

Result<SyncMessage> sync_receive(int sock, UniqueFd* fd_out) {
  Header header{};
  std::string text(kMaxText, '\0');
  std::array<iovec, 2> iov{{{&header, sizeof header}, {text.data(), text.size()}}};
  auto received = receive_with_fd(sock, iov, fd_out, "receive from the container init");
  if (!received) return std::move(received).error();
  size_t n = *received;
  if (n == 0) return Error("the container init exited before it was ready", EPIPE);
  if (n < sizeof header) return Error("short message from the container init", EPROTO);
  text.resize(std::min<size_t>(header.text_size, n - sizeof header));
  return SyncMessage{static_cast<SyncType>(header.type), header.value, std::move(text)};
}

Status sync_send_to_child(int sock, const SyncMessage& message) {
  auto sent = sync_send(sock, message);
  if (sent) return sent;
  auto reply = sync_receive(sock);
  if (reply && reply->type == SyncType::Failed) return Error(reply->text, static_cast<int>(reply->value));
  return sent;
}

Status sync_expect(int sock, SyncType type, std::string_view what) {
  auto m = sync_receive(sock);
  if (!m) return std::move(m).error();
  if (m->type == SyncType::Failed) return Error(m->text, static_cast<int>(m->value));
  if (m->type != type)
    return Error("unexpected message from the container init while waiting for " + std::string(what), EPROTO);
  return {};
}

}  // namespace skiff::runtime
