// ConnectionTracker: counts the connections in flight and those served, for draining on stop and
// for status reports, and holds the notice that a stop has begun. One per daemon, outliving
// every connection; safe from any thread (the counts are lock-free).
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

#include "net/stop_notice.hpp"

namespace netsvcd::net {

class ConnectionTracker {
 public:
  // Held by a connection for its whole life; moving it moves the count.
  class Guard {
   public:
    Guard() = default;
    explicit Guard(ConnectionTracker& tracker) : tracker_(&tracker) {
      tracker_->active_.fetch_add(1, std::memory_order_relaxed);
    }
    Guard(Guard&& other) noexcept : tracker_(std::exchange(other.tracker_, nullptr)) {}
    Guard& operator=(Guard&& other) noexcept {
      if (this != &other) {
        release();
        tracker_ = std::exchange(other.tracker_, nullptr);
      }
      return *this;
    }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    ~Guard() { release(); }

   private:
    void release() {
      if (!tracker_) return;
      tracker_->served_.fetch_add(1, std::memory_order_relaxed);
      tracker_->active_.fetch_sub(1, std::memory_order_release);
      tracker_ = nullptr;
    }
    ConnectionTracker* tracker_ = nullptr;
  };

  Guard track() { return Guard(*this); }
  std::uint64_t active() const { return active_.load(std::memory_order_acquire); }
  std::uint64_t served() const { return served_.load(std::memory_order_relaxed); }
  StopNotice& stop_notice() { return stop_notice_; }

 private:
  std::atomic<std::uint64_t> active_{0};
  std::atomic<std::uint64_t> served_{0};
  StopNotice stop_notice_;
};

}  // namespace netsvcd::net
