#include "services/time_format.hpp"

#include <ctime>

namespace netsvcd::services {
namespace {

// Seconds from 1900-01-01 to 1970-01-01, RFC 868's epoch to Unix's.
constexpr std::int64_t kRfc868Offset = 2'208'988'800;
// Longest line a pattern may produce; generous for any sane pattern, and a bound on what a
// pattern full of wide fields can make the daemon allocate per connection.
constexpr std::size_t kMaxOutput = 1024;
constexpr std::size_t kMaxPatternLength = 256;

constexpr std::string_view kConversions = "aAbBcCdDeFgGhHIjklmMnpPrRsStTuUVwWxXyYzZ%";
constexpr std::string_view kFlags = "_-0^#";
// glibc accepts E only before these conversions, and O only before these.
constexpr std::string_view kEConversions = "cCxXyY";
constexpr std::string_view kOConversions = "deHImMSuUVwWy";

std::tm utc(std::chrono::system_clock::time_point when) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return tm;
}

std::string run_strftime(const std::string& pattern, const std::tm& tm, std::size_t capacity) {
  std::string out(capacity, '\0');
  const std::size_t length = std::strftime(out.data(), out.size(), pattern.c_str(), &tm);
  out.resize(length);
  return out;
}

std::optional<std::string> check_pattern(std::string_view pattern) {
  if (pattern.empty()) return "empty format (expected a strftime pattern, rfc3339 or rfc868)";
  if (pattern.size() > kMaxPatternLength) {
    return "format longer than " + std::to_string(kMaxPatternLength) + " characters";
  }
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%') continue;
    const std::size_t start = i++;
    while (i < pattern.size() && kFlags.find(pattern[i]) != std::string_view::npos)
      ++i;
    while (i < pattern.size() && pattern[i] >= '0' && pattern[i] <= '9')
      ++i;
    char modifier = 0;
    if (i < pattern.size() && (pattern[i] == 'E' || pattern[i] == 'O')) modifier = pattern[i++];
    const std::string spec(pattern.substr(start, i + 1 - start));
    if (i >= pattern.size()) {
      return "format ends inside \"" + spec + "\" (write %% for a literal %)";
    }
    const char conversion = pattern[i];
    const bool known =
        kConversions.find(conversion) != std::string_view::npos &&
        (modifier != 'E' || kEConversions.find(conversion) != std::string_view::npos) &&
        (modifier != 'O' || kOConversions.find(conversion) != std::string_view::npos);
    if (!known) {
      return "unknown conversion \"" + spec + "\" at offset " + std::to_string(start) +
             " (expected a strftime pattern such as %c or %Y-%m-%d %H:%M:%S, rfc3339 or rfc868)";
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<TimeFormat> TimeFormat::parse(std::string_view text, std::string& error) {
  if (text == "rfc3339") return TimeFormat{Kind::kRfc3339, {}};
  if (text == "rfc868") return TimeFormat{Kind::kRfc868, {}};
  if (auto problem = check_pattern(text)) {
    error = std::move(*problem);
    return std::nullopt;
  }
  TimeFormat format{Kind::kStrftime, std::string(text)};
  // strftime gives 0 both for an empty result and for one that does not fit: either way the
  // pattern is useless. The sample, Wednesday 30 September 2026 23:59:59, has the longest day
  // and month names; other times differ by a digit here and there (%-m), which the room
  // format_time leaves covers.
  const std::tm sample = utc(std::chrono::system_clock::from_time_t(1'790'812'799));
  if (run_strftime(format.pattern, sample, kMaxOutput).empty()) {
    error = "format gives an empty line or one longer than " + std::to_string(kMaxOutput - 1) +
            " characters";
    return std::nullopt;
  }
  return format;
}

std::string format_time(const TimeFormat& format, std::chrono::system_clock::time_point now) {
  switch (format.kind) {
    case TimeFormat::Kind::kRfc868: {
      const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
      // RFC 868 time is 32 bits and wraps in 2036; the modulo keeps it defined after that.
      const auto value = static_cast<std::uint32_t>((seconds.count() + kRfc868Offset) & 0xffffffff);
      return {static_cast<char>(value >> 24), static_cast<char>(value >> 16),
              static_cast<char>(value >> 8), static_cast<char>(value)};
    }
    case TimeFormat::Kind::kRfc3339:
      return run_strftime("%Y-%m-%dT%H:%M:%SZ", utc(now), kMaxOutput) + '\n';
    case TimeFormat::Kind::kStrftime:
      break;
  }
  // An accepted pattern gave at most kMaxOutput - 1 characters for the sample; no conversion
  // grows by more than a few characters with the date, so four times that always fits.
  return run_strftime(format.pattern, utc(now), 4 * kMaxOutput) + '\n';
}

}  // namespace netsvcd::services
