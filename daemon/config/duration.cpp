#include "config/duration.hpp"

#include <charconv>
#include <cmath>

namespace netsvcd::config {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  double value = 0;
  const auto* begin = text.data();
  const auto* end = text.data() + text.size();
  auto [rest, ec] = std::from_chars(begin, end, value, std::chars_format::fixed);
  if (ec != std::errc{} || rest == begin || !std::isfinite(value) || value < 0) return std::nullopt;

  const std::string_view unit(rest, static_cast<std::size_t>(end - rest));
  double millis_per_unit = 0;
  if (unit.empty() || unit == "s") {
    millis_per_unit = 1000;
  } else if (unit == "ms") {
    millis_per_unit = 1;
  } else if (unit == "m" || unit == "min") {
    millis_per_unit = 60'000;
  } else if (unit == "h") {
    millis_per_unit = 3'600'000;
  } else {
    return std::nullopt;
  }
  const double millis = std::round(value * millis_per_unit);
  // A week is far beyond any timeout worth setting, and keeps the arithmetic far from overflow.
  if (millis > 7.0 * 24 * 3'600'000) return std::nullopt;
  return std::chrono::milliseconds(static_cast<long long>(millis));
}

std::string format_duration(std::chrono::milliseconds duration) {
  const auto ms = duration.count();
  if (ms % 3'600'000 == 0 && ms != 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0 && ms != 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace netsvcd::config
