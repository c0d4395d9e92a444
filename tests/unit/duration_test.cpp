// Unit tests for daemon/config/duration.*: durations as the config file spells them.
#include <chrono>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "config/duration.hpp"

namespace {

using netsvcd::config::format_duration;
using netsvcd::config::parse_duration;
using std::chrono::milliseconds;
using namespace std::chrono_literals;

constexpr milliseconds kWeek = 7 * 24h;

// parse_duration's answer spelled for messages: "1500ms", or "rejected".
std::string parsed(std::string_view text) {
  const auto value = parse_duration(text);
  return value ? std::to_string(value->count()) + "ms" : "rejected";
}

TEST_CASE("duration: units s, ms, m, min and h", "[duration]") {
  CHECK(parsed("10s") == "10000ms");
  CHECK(parsed("500ms") == "500ms");
  CHECK(parsed("2m") == "120000ms");
  CHECK(parsed("2min") == "120000ms");
  CHECK(parsed("1h") == "3600000ms");
}

TEST_CASE("duration: a bare number is seconds", "[duration]") {
  CHECK(parsed("1.5") == "1500ms");
  CHECK(parsed("10") == "10000ms");
  CHECK(parsed("0") == "0ms");
  CHECK(parsed("0s") == "0ms");
}

TEST_CASE("duration: fractions of a unit round to the nearest millisecond", "[duration]") {
  CHECK(parsed("0.25s") == "250ms");
  CHECK(parsed("1.5m") == "90000ms");
  CHECK(parsed("0.5h") == "1800000ms");
  CHECK(parsed("0.0004s") == "0ms");
  CHECK(parsed("0.0006s") == "1ms");
  CHECK(parsed("1.4ms") == "1ms");
}

TEST_CASE("duration: negative values are not durations", "[duration]") {
  CHECK(parsed("-1") == "rejected");
  CHECK(parsed("-1s") == "rejected");
  CHECK(parsed("-0.5ms") == "rejected");
}

TEST_CASE("duration: malformed text is rejected", "[duration]") {
  for (const char* text : {"10x", "", "s", "ms", "10 s", " 10s", "10s ", "10S", "10sec", "1d",
                           "+10s", "1e3", "ten", "10s5", "inf", "nan", "0x10"}) {
    INFO('"' << text << '"');
    CHECK(parsed(text) == "rejected");
  }
}

TEST_CASE("duration: up to a week is accepted, more is rejected", "[duration]") {
  CHECK(parsed("168h") == "604800000ms");
  CHECK(parsed("604800") == "604800000ms");
  CHECK(parsed("604800000ms") == "604800000ms");
  CHECK(parsed("604800001ms") == "rejected");
  CHECK(parsed("169h") == "rejected");
  CHECK(parsed("99999999999999999999h") == "rejected");
  CHECK(parsed("1" + std::string(400, '0')) == "rejected");
}

TEST_CASE("duration: format_duration picks the largest whole unit", "[duration]") {
  CHECK(format_duration(milliseconds(0)) == "0s");
  CHECK(format_duration(milliseconds(1)) == "1ms");
  CHECK(format_duration(milliseconds(500)) == "500ms");
  CHECK(format_duration(milliseconds(1'500)) == "1500ms");
  CHECK(format_duration(milliseconds(10'000)) == "10s");
  CHECK(format_duration(milliseconds(61'000)) == "61s");
  CHECK(format_duration(milliseconds(90'000)) == "90s");
  CHECK(format_duration(milliseconds(120'000)) == "2m");
  CHECK(format_duration(milliseconds(5'400'000)) == "90m");
  CHECK(format_duration(milliseconds(3'600'000)) == "1h");
  CHECK(format_duration(kWeek) == "168h");
}

TEST_CASE("duration: format_duration reads back with parse_duration", "[duration]") {
  for (const milliseconds value : {0ms, 1ms, 999ms, 1'000ms, 1'001ms, 59'999ms, 60'000ms,
                                   3'599'000ms, 3'600'000ms, 86'400'000ms, kWeek}) {
    INFO(value.count() << "ms as " << format_duration(value));
    CHECK(parsed(format_duration(value)) == std::to_string(value.count()) + "ms");
  }
}

}  // namespace
