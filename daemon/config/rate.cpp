#include "config/rate.hpp"

#include <charconv>

namespace netsvcd::config {
namespace {

// A billion a second is past what any socket accepts; the bound keeps interval() above zero.
constexpr std::uint64_t kMaxCount = 1'000'000'000;

}  // namespace

std::variant<Rate, std::string> parse_rate(std::string_view text) {
  const auto expected = [&] {
    return "expected a rate such as 200/s, 30/m or 500/h (a whole number from 1 to " +
           std::to_string(kMaxCount) + " per second, minute or hour), got \"" + std::string(text) +
           '"';
  };
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return expected();
  const std::string_view digits = text.substr(0, slash);
  const std::string_view unit = text.substr(slash + 1);
  Rate rate;
  const auto [end, error] =
      std::from_chars(digits.data(), digits.data() + digits.size(), rate.count);
  if (error != std::errc{} || end != digits.data() + digits.size() || digits.empty() ||
      rate.count < 1 || rate.count > kMaxCount) {
    return expected();
  }
  if (unit == "s") {
    rate.per = std::chrono::seconds(1);
  } else if (unit == "m" || unit == "min") {
    rate.per = std::chrono::minutes(1);
  } else if (unit == "h") {
    rate.per = std::chrono::hours(1);
  } else {
    return expected();
  }
  return rate;
}

std::string to_string(const Rate& rate) {
  const char* unit = rate.per == std::chrono::seconds(1)   ? "s"
                     : rate.per == std::chrono::minutes(1) ? "m"
                                                           : "h";
  return std::to_string(rate.count) + '/' + unit;
}

}  // namespace netsvcd::config
