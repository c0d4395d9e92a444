#include "connection/listener_stats.hpp"

#include <algorithm>

namespace netsvcd::connection {
namespace {

thread_local std::size_t slot_of_this_thread = 0;

std::size_t code_index(unsigned status) {
  const auto* found = std::ranges::find(ListenerStats::kCodes, status);
  return static_cast<std::size_t>(found - ListenerStats::kCodes.begin());
}

std::size_t bucket_index(std::chrono::nanoseconds took) {
  const double seconds = std::chrono::duration<double>(took).count();
  const auto* bucket = std::ranges::lower_bound(ListenerStats::kBuckets, seconds);
  return static_cast<std::size_t>(bucket - ListenerStats::kBuckets.begin());
}

}  // namespace

void set_this_thread_slot(std::size_t slot) {
  slot_of_this_thread = slot;
}
std::size_t this_thread_slot() {
  return slot_of_this_thread;
}

std::uint64_t ListenerStats::Totals::answered() const {
  std::uint64_t sum = 0;
  for (const auto count : requests)
    sum += count;
  return sum;
}

ListenerStats::ListenerStats(std::size_t threads)
    : slots_(std::make_unique<Slot[]>(std::max<std::size_t>(threads, 1))),
      slot_count_(std::max<std::size_t>(threads, 1)) {}

void ListenerStats::answered(unsigned status, std::chrono::nanoseconds took) {
  Slot& counts = slot();
  add(counts.requests[code_index(status)]);
  add(counts.durations[bucket_index(took)]);
  add(counts.duration_sum_ns, static_cast<std::uint64_t>(std::max<std::int64_t>(took.count(), 0)));
}

ListenerStats::Totals ListenerStats::totals() const {
  Totals totals;
  const auto read = [](const Counter& counter) { return counter.load(std::memory_order_relaxed); };
  for (std::size_t i = 0; i < slot_count_; ++i) {
    const Slot& slot = slots_[i];
    // Closed before opened: a connection that closes between the two reads is never negative.
    totals.closed += read(slot.closed);
    totals.opened += read(slot.opened);
    totals.accepted += read(slot.accepted);
    totals.sent_bytes += read(slot.sent_bytes);
    for (std::size_t code = 0; code < totals.requests.size(); ++code)
      totals.requests[code] += read(slot.requests[code]);
    for (std::size_t bucket = 0; bucket < totals.durations.size(); ++bucket)
      totals.durations[bucket] += read(slot.durations[bucket]);
    totals.duration_sum += std::chrono::nanoseconds(read(slot.duration_sum_ns));
    totals.cache_hits += read(slot.cache_hits);
    totals.cache_misses += read(slot.cache_misses);
    totals.datagrams_received += read(slot.datagrams_received);
    totals.datagrams_answered += read(slot.datagrams_answered);
    for (std::size_t reason = 0; reason < kDatagramDropKinds; ++reason)
      totals.datagrams_dropped[reason] += read(slot.datagrams_dropped[reason]);
  }
  return totals;
}

}  // namespace netsvcd::connection
