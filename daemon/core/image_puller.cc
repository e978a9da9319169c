#include "daemon/core/image_puller.h"

namespace skiff::daemon {

using common::Error;
using common::Status;

ImagePuller::ImagePuller(Hooks hooks) : hooks_(std::move(hooks)), thread_([this] { loop(); }) {}

ImagePuller::~ImagePuller() {
  stop();
}

void ImagePuller::on_done(std::function<void()> done) {
  // Under done_mutex_: once this returns, the old callback is not running and never will.
  std::lock_guard lock(done_mutex_);
  done_ = std::move(done);
}

uint64_t ImagePuller::request(const std::string& reference) {
  std::lock_guard lock(mutex_);
  uint64_t ticket = next_ticket_++;
  results_[ticket] = std::nullopt;
  auto& tickets = waiting_[reference];
  if (tickets.empty()) queue_.push_back(reference);
  tickets.push_back(ticket);
  work_.notify_one();
  return ticket;
}

std::optional<Status> ImagePuller::take(uint64_t ticket) {
  std::lock_guard lock(mutex_);
  auto it = results_.find(ticket);
  if (it == results_.end()) return Status(Error("image pull: unknown ticket", EINVAL));
  if (!it->second) return std::nullopt;
  Status result = std::move(*it->second);
  results_.erase(it);
  return result;
}

void ImagePuller::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ImagePuller::loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    work_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    std::string reference = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    Status result = hooks_.pull(reference);
    lock.lock();
    for (uint64_t ticket : waiting_[reference]) results_[ticket] = result;
    waiting_.erase(reference);
    lock.unlock();
    {
      std::lock_guard done_lock(done_mutex_);
      if (done_) done_();
    }
    lock.lock();
  }
}

}  // namespace skiff::daemon
