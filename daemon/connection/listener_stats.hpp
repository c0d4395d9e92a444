// ListenerStats: the traffic one listener served, for its metrics and `netsvcd --status`:
// connections accepted and open, bytes sent, HTTP answers by status code, how long they took,
// the answer cache's hits and misses, and datagrams received, answered and dropped by reason. Owned
// by the listener's ListenerLoad, so that a reload that keeps the listener keeps its counts. Safe
// from any thread: each thread counts into a slot of its own (this_thread_slot), a cache line no
// other pool thread writes, with relaxed atomic adds, so counting costs no lock and no line shared
// between threads; a scrape sums the slots.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "connection/datagram_drop.hpp"

namespace netsvcd::connection {

// The slot this thread counts into: a pool thread's index, set as it starts; 0 elsewhere.
void set_this_thread_slot(std::size_t slot);
std::size_t this_thread_slot();

class ListenerStats {
  struct Slot;

 public:
  // Every status code netsvcd's HTTP services answer with; any other is counted as 'other'.
  static constexpr std::array<unsigned, 10> kCodes = {200, 400, 404, 405, 408,
                                                      413, 414, 431, 500, 503};
  static constexpr std::size_t kOtherCode = kCodes.size();
  // Upper bounds of the request-duration histogram, in seconds: a cached answer takes
  // microseconds, a search with blanks milliseconds.
  static constexpr std::array<double, 12> kBuckets = {
      0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5};

  struct Totals {
    std::uint64_t accepted = 0;  // every connection accepted, refused ones too
    std::uint64_t opened = 0;    // admitted to the service
    std::uint64_t closed = 0;
    std::uint64_t sent_bytes = 0;
    std::array<std::uint64_t, kCodes.size() + 1> requests{};     // by kCodes, then other
    std::array<std::uint64_t, kBuckets.size() + 1> durations{};  // per bucket, then +Inf
    std::chrono::nanoseconds duration_sum{0};
    std::uint64_t cache_hits = 0;
    std::uint64_t cache_misses = 0;
    std::uint64_t datagrams_received = 0;
    std::uint64_t datagrams_answered = 0;
    std::array<std::uint64_t, kDatagramDropKinds> datagrams_dropped{};  // by DatagramDrop

    std::uint64_t active() const { return opened - closed; }
    std::uint64_t answered() const;
  };

  // Slots for `threads` counting threads; a thread whose slot is beyond them shares one.
  explicit ListenerStats(std::size_t threads = 1);

  void accepted() { add(slot().accepted); }
  void sent(std::size_t bytes) { add(slot().sent_bytes, bytes); }
  // One HTTP answer with `status` that took `took` from its request's head to being ready.
  void answered(unsigned status, std::chrono::nanoseconds took);
  void cache_used(bool hit) { add(hit ? slot().cache_hits : slot().cache_misses); }
  void datagrams_received(std::size_t count) { add(slot().datagrams_received, count); }
  void datagrams_answered(std::size_t count) { add(slot().datagrams_answered, count); }
  void datagrams_dropped(DatagramDrop reason, std::size_t count = 1) {
    add(slot().datagrams_dropped[static_cast<std::size_t>(reason)], count);
  }

  // Held by an admitted connection for its life: counts it open, then closed, in the slot of the
  // thread that opened it. Holds no ownership: the connection keeps the stats alive longer.
  class Open {
   public:
    Open() = default;
    explicit Open(ListenerStats& stats) : counts_(&stats.slot()) { add(counts_->opened); }
    Open(Open&& other) noexcept : counts_(std::exchange(other.counts_, nullptr)) {}
    Open& operator=(Open&& other) noexcept {
      if (this != &other) {
        release();
        counts_ = std::exchange(other.counts_, nullptr);
      }
      return *this;
    }
    ~Open() { release(); }

   private:
    void release() {
      if (counts_) add(std::exchange(counts_, nullptr)->closed);
    }
    Slot* counts_ = nullptr;
  };

  Totals totals() const;

 private:
  using Counter = std::atomic<std::uint64_t>;
  static void add(Counter& counter, std::uint64_t n = 1) {
    counter.fetch_add(n, std::memory_order_relaxed);
  }

  struct alignas(64) Slot {
    Counter accepted{0};
    Counter opened{0};
    Counter closed{0};
    Counter sent_bytes{0};
    std::array<Counter, kCodes.size() + 1> requests{};
    std::array<Counter, kBuckets.size() + 1> durations{};
    Counter duration_sum_ns{0};
    Counter cache_hits{0};
    Counter cache_misses{0};
    Counter datagrams_received{0};
    Counter datagrams_answered{0};
    std::array<Counter, kDatagramDropKinds> datagrams_dropped{};
  };
  Slot& slot() { return slots_[this_thread_slot() % slot_count_]; }

  std::unique_ptr<Slot[]> slots_;
  std::size_t slot_count_;
};

}  // namespace netsvcd::connection
