// ConnectionCounts: the pipeline's count step: how many connections are open and how many have
// been served, for draining on stop and for status reports. Kept per pool thread, so that
// counting a connection costs no write shared between threads: a slot is written only by the
// thread it belongs to (plain loads and stores of atomics, no locked instruction) and read by
// anyone, summed with relaxed loads. One per daemon, outliving every connection and the pool.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

namespace netsvcd::connection {

class ConnectionCounts {
  struct alignas(64) Slot {
    std::atomic<std::uint64_t> opened{0};
    std::atomic<std::uint64_t> closed{0};
  };

  // Adds one to a counter only its own thread writes.
  static void increment(std::atomic<std::uint64_t>& counter) {
    counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }

 public:
  // Held by a connection for its whole life, on the thread that counted it; moving it moves
  // the count.
  class Guard {
   public:
    Guard() = default;
    explicit Guard(Slot& slot) : slot_(&slot) { increment(slot.opened); }
    Guard(Guard&& other) noexcept : slot_(std::exchange(other.slot_, nullptr)) {}
    Guard& operator=(Guard&& other) noexcept {
      if (this != &other) {
        release();
        slot_ = std::exchange(other.slot_, nullptr);
      }
      return *this;
    }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    ~Guard() { release(); }
    explicit operator bool() const { return slot_ != nullptr; }

   private:
    void release() {
      if (slot_) increment(std::exchange(slot_, nullptr)->closed);
    }
    Slot* slot_ = nullptr;
  };

  // Slots for `threads` pool threads, numbered from 0.
  explicit ConnectionCounts(std::size_t threads)
      : slots_(std::make_unique<Slot[]>(threads)), threads_(threads) {}

  // Counts a connection accepted on pool thread `thread`, until the guard goes.
  Guard track(std::size_t thread) { return Guard(slots_[thread]); }

  // The connections open on pool thread `thread`.
  std::uint64_t active(std::size_t thread) const {
    const Slot& slot = slots_[thread];
    const auto closed = slot.closed.load(std::memory_order_acquire);
    return slot.opened.load(std::memory_order_acquire) - closed;
  }
  std::size_t threads() const { return threads_; }

  // The most connections open at once, in all, so that netsvcd keeps the descriptors it needs
  // for itself (set from its descriptor limit); at it the accept loops wait.
  void set_cap(std::uint64_t cap) { cap_.store(cap, std::memory_order_relaxed); }
  std::uint64_t cap() const { return cap_.load(std::memory_order_relaxed); }
  bool at_cap() const { return active() >= cap(); }

  std::uint64_t active() const {
    std::uint64_t opened = 0;
    std::uint64_t closed = 0;
    for (std::size_t i = 0; i < threads_; ++i) {
      // Closed first: a connection that closes between the two loads is then never negative.
      closed += slots_[i].closed.load(std::memory_order_acquire);
      opened += slots_[i].opened.load(std::memory_order_acquire);
    }
    return opened - closed;
  }
  std::uint64_t served() const {
    std::uint64_t closed = 0;
    for (std::size_t i = 0; i < threads_; ++i)
      closed += slots_[i].closed.load(std::memory_order_relaxed);
    return closed;
  }

 private:
  std::unique_ptr<Slot[]> slots_;
  std::size_t threads_;
  std::atomic<std::uint64_t> cap_{UINT64_MAX};
};

}  // namespace netsvcd::connection
