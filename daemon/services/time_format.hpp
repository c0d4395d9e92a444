// TimeFormat: how a time listener writes the current time: a strftime pattern in UTC, RFC 3339
// ("2026-11-22T04:06:57Z") or RFC 868 (4 bytes, big-endian seconds since 1900). Pure functions;
// formatting is thread-safe (gmtime_r, and netsvcd never changes the C locale).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace netsvcd::services {

struct TimeFormat {
  enum class Kind { kStrftime, kRfc3339, kRfc868 };
  Kind kind = Kind::kStrftime;
  std::string pattern = "%c";  // for kStrftime

  // "rfc3339", "rfc868" or a strftime pattern; nullopt with `error` set if it is none of them.
  static std::optional<TimeFormat> parse(std::string_view text, std::string& error);
};

// The bytes a time listener sends for `now`: the formatted time and "\n", or for RFC 868 the
// four bytes alone.
std::string format_time(const TimeFormat& format, std::chrono::system_clock::time_point now);

}  // namespace netsvcd::services
