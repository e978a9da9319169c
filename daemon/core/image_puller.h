#pragma once
// Pulls the images pods need (imagePullPolicy, docs/daemon.md "Images") on a thread of its
// own: a pull takes seconds to minutes and the controller thread must never wait on one.
// The controller asks for a pull and gets a ticket; a request for a reference already being
// pulled joins that pull; once it ends the puller wakes the controller, which collects the
// result with its ticket.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/error.h"

namespace skiff::daemon {

class ImagePuller {
 public:
  struct Hooks {
    /// Whether the image store has `reference`.
    std::function<bool(const std::string& reference)> present;
    /// Pulls `reference` into the image store.
    std::function<common::Status(const std::string& reference)> pull;
  };
  explicit ImagePuller(Hooks hooks);
  ~ImagePuller();
  ImagePuller(const ImagePuller&) = delete;
  ImagePuller& operator=(const ImagePuller&) = delete;

  /// Called (on the puller's thread) whenever a pull has ended; on_done(nullptr) before
  /// the callback's target goes away.
  void on_done(std::function<void()> done);
  bool present(const std::string& reference) const { return hooks_.present(reference); }
  /// Starts a pull of `reference`, or joins the one under way.
  uint64_t request(const std::string& reference);
  /// nullopt while the ticket's pull runs; then its result, once (the ticket is forgotten).
  std::optional<common::Status> take(uint64_t ticket);
  void stop();

 private:
  void loop();

  Hooks hooks_;
  std::mutex mutex_;
  std::condition_variable work_;
  std::mutex done_mutex_;  ///< held while done_ runs or changes
  std::function<void()> done_;
  std::deque<std::string> queue_;                         ///< references waiting for the thread
  std::map<std::string, std::vector<uint64_t>> waiting_;  ///< reference -> tickets of its pull
  std::map<uint64_t, std::optional<common::Status>> results_;
  uint64_t next_ticket_ = 1;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace skiff::daemon
