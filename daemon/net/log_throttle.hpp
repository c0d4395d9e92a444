// LogThrottle: lets a repeated warning through at most once per interval and counts the ones it
// held back, so a flood of failures (descriptor exhaustion under load) cannot flood the log.
// Not thread-safe: each accept loop owns its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace netsvcd::net {

class LogThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LogThrottle(Clock::duration interval) : interval_(interval) {}

  // If the warning may be logged now, how many were suppressed since the last one; else nullopt.
  std::optional<std::uint64_t> admit(Clock::time_point now = Clock::now()) {
    if (last_ && now - *last_ < interval_) {
      ++suppressed_;
      return std::nullopt;
    }
    last_ = now;
    const auto suppressed = suppressed_;
    suppressed_ = 0;
    return suppressed;
  }

 private:
  Clock::duration interval_;
  std::optional<Clock::time_point> last_;
  std::uint64_t suppressed_ = 0;
};

}  // namespace netsvcd::net
