// ListenerLoad: what the admission step counts for one listener: connections open in all and
// per source, the recent rate of new ones, and the connections refused, by reason; and the
// traffic its connections were served (stats(), for metrics and status). It outlives
// the Listener objects of one config: a reload that keeps a listener (by name) hands its load
// to the next, so that connections already open still count against the new limits and are
// never cut, and the counts go on. Shared by the listener's admission and by every connection
// it admitted (through Admission::Ticket); every member is safe from any thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <boost/asio/ip/address.hpp>

#include "config/rate.hpp"
#include "connection/listener_stats.hpp"

namespace netsvcd::connection {

// Why the pipeline refused a connection, at the PROXY step or at admission; also the `reason`
// its count is reported under (to_string: snake_case, fit for a metric's label).
enum class Refusal : std::size_t {
  access,           // allow/deny
  rate_limit,       // rate_limit
  max_connections,  // max_connections
  max_per_source,   // max_per_source
  proxy_untrusted,  // proxy_protocol: from an address outside proxy_from
  proxy_malformed,  // proxy_protocol: no valid PROXY header
  proxy_timeout,    // proxy_protocol: no whole PROXY header in time
};
inline constexpr std::size_t kRefusalKinds = 7;
std::string_view to_string(Refusal reason);

// One IPv4 address, or one IPv6 /64: the unit max_per_source counts.
struct SourceKey {
  std::uint64_t bits = 0;
  bool v4 = true;
  static SourceKey of(const boost::asio::ip::address& address);
  bool operator==(const SourceKey&) const = default;
};

class ListenerLoad {
 public:
  using Clock = std::chrono::steady_clock;

  // Counts from `threads` pool threads.
  explicit ListenerLoad(std::size_t threads = 1) : stats_(threads) {}
  ListenerStats& stats() { return stats_; }

  // Counts one more connection open unless `max` are open already.
  bool enter(std::uint64_t max);
  void leave() { open_.fetch_sub(1, std::memory_order_relaxed); }
  std::uint64_t open() const { return open_.load(std::memory_order_relaxed); }

  // Counts one more connection from `source` unless `max` from it are open already.
  bool enter_source(SourceKey source, std::uint64_t max);
  void leave_source(SourceKey source);
  std::uint64_t open_from(SourceKey source) const;

  // Takes a token for one new connection from a bucket that `rate` fills, if it has one: a
  // generic cell rate algorithm, one compare-and-swap on one word, no lock.
  bool take_token(const config::Rate& rate, Clock::time_point now = Clock::now());

  // Counts a refusal. Returns whether it should be logged on its own now: the first one after
  // a quiet report interval is; the rest are summed up by report().
  bool refused(Refusal reason, Clock::time_point now = Clock::now());
  std::uint64_t refusals(Refusal reason) const {
    return refused_[static_cast<std::size_t>(reason)].load(std::memory_order_relaxed);
  }
  // The refusals not yet logged, as "3 by max_per_source, 1 by access" and how many in all, if
  // the report interval has passed since the last line (or `force`); marks them logged.
  std::pair<std::uint64_t, std::string> unreported(Clock::time_point now = Clock::now(),
                                                   bool force = false);

  static constexpr auto kReportInterval = std::chrono::seconds(10);

 private:
  // Whether the last report, at `last` (0: never), is less than an interval before `now`.
  static bool reported_lately(Clock::rep last, Clock::time_point now);

  struct SourceHash {
    std::size_t operator()(const SourceKey& key) const {
      return std::hash<std::uint64_t>{}(key.bits ^ (key.v4 ? 0x9e3779b97f4a7c15ULL : 0));
    }
  };

  std::atomic<std::uint64_t> open_{0};
  mutable std::mutex sources_mutex_;
  std::unordered_map<SourceKey, std::uint64_t, SourceHash> sources_;  // guarded; no zeros kept
  // The time, in Clock's ticks, at which the bucket is empty again (the theoretical arrival
  // time of the generic cell rate algorithm).
  std::atomic<Clock::rep> bucket_empty_at_{0};
  std::array<std::atomic<std::uint64_t>, kRefusalKinds> refused_{};
  std::atomic<Clock::rep> last_report_{0};  // 0: never
  std::mutex report_mutex_;
  std::array<std::uint64_t, kRefusalKinds> reported_{};  // guarded by report_mutex_
  ListenerStats stats_;
};

}  // namespace netsvcd::connection
