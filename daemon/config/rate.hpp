// Rate: a rate limit as a config file writes it, "200/s", "30/m", "500/h": at most that many a
// second (minute, hour) on average, and up to the number written at once (the burst), after a
// quiet spell. Plain values, pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace netsvcd::config {

struct Rate {
  std::uint64_t count = 0;  // per `per`, and the burst
  std::chrono::seconds per{1};

  // The time one more arrival adds, on average.
  std::chrono::nanoseconds interval() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(per) / count;
  }
  bool operator==(const Rate&) const = default;
};

// The rate `text` spells, or a message saying what is expected.
std::variant<Rate, std::string> parse_rate(std::string_view text);

// "200/s".
std::string to_string(const Rate& rate);

}  // namespace netsvcd::config
