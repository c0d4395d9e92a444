// Unit tests for daemon/services/time_format.*: which formats a time listener accepts and the
// exact bytes it writes. netsvcd runs in the C locale; these tests never call setlocale.
#include <chrono>
#include <cstdint>
#include <ctime>
#include <initializer_list>
#include <optional>
#include <string>

#include <catch2/catch.hpp>

#include "services/time_format.hpp"

namespace {

using netsvcd::services::format_time;
using netsvcd::services::TimeFormat;
using Kind = TimeFormat::Kind;
using std::chrono::system_clock;

// Wednesday 30 September 2026 23:59:59 UTC.
const system_clock::time_point kSample = system_clock::from_time_t(1'790'812'799);
const system_clock::time_point kEpoch = system_clock::from_time_t(0);

const std::string kStrftimeHint =
    "(expected a strftime pattern such as %c or %Y-%m-%d %H:%M:%S, rfc3339 or rfc868)";

// The format `text` parses to; fails the test if it is rejected.
TimeFormat parsed(const std::string& text) {
  std::string error;
  const auto format = TimeFormat::parse(text, error);
  INFO("format \"" << text << "\": " << error);
  REQUIRE(format.has_value());
  CHECK(error.empty());
  return *format;
}

// The message for a rejected `text`; fails the test if it is accepted.
std::string rejection(const std::string& text) {
  std::string error;
  const auto format = TimeFormat::parse(text, error);
  INFO("format \"" << text << "\"");
  CHECK_FALSE(format.has_value());
  return error;
}

std::string bytes(std::initializer_list<unsigned> values) {
  std::string out;
  for (const unsigned value : values)
    out += static_cast<char>(value);
  return out;
}

std::uint32_t big_endian(const std::string& four) {
  REQUIRE(four.size() == 4);
  std::uint32_t value = 0;
  for (const char c : four)
    value = (value << 8) | static_cast<unsigned char>(c);
  return value;
}

TEST_CASE("time_format: rfc3339 and rfc868 are their own kinds", "[time_format]") {
  CHECK(parsed("rfc3339").kind == Kind::kRfc3339);
  CHECK(parsed("rfc868").kind == Kind::kRfc868);
}

TEST_CASE("time_format: the default format is %c", "[time_format]") {
  const TimeFormat format;
  CHECK(format.kind == Kind::kStrftime);
  CHECK(format.pattern == "%c");
}

TEST_CASE("time_format: strftime patterns with flags, widths and E/O modifiers are accepted",
          "[time_format]") {
  for (const std::string pattern :
       {"%Y-%m-%d", "%-d",      "%_H", "%Ec", "%Od",      "%EY",        "%Ey",
        "%OH",      "%OS",      "%0e", "%^a", "%#Z",      "%10Y",       "%-_5d",
        "%%",       "%H:%M:%S", "%c",  "%s",  "%F %T %z", "plain text", "100%%"}) {
    const TimeFormat format = parsed(pattern);
    CHECK(format.kind == Kind::kStrftime);
    CHECK(format.pattern == pattern);
  }
}

TEST_CASE("time_format: a pattern of 256 characters is accepted, 257 is not", "[time_format]") {
  CHECK(parsed(std::string(256, 'x')).pattern.size() == 256);
  CHECK(rejection(std::string(257, 'x')) == "format longer than 256 characters");
}

TEST_CASE("time_format: unknown conversions name the spec and its offset", "[time_format]") {
  CHECK(rejection("%Q") == "unknown conversion \"%Q\" at offset 0 " + kStrftimeHint);
  CHECK(rejection("abc %Q") == "unknown conversion \"%Q\" at offset 4 " + kStrftimeHint);
  CHECK(rejection("%Y-%m-%d %k %q") == "unknown conversion \"%q\" at offset 12 " + kStrftimeHint);
  CHECK(rejection("%-5Q") == "unknown conversion \"%-5Q\" at offset 0 " + kStrftimeHint);
  CHECK(rejection("%Ez") == "unknown conversion \"%Ez\" at offset 0 " + kStrftimeHint);
  CHECK(rejection("%Ed") == "unknown conversion \"%Ed\" at offset 0 " + kStrftimeHint);
  CHECK(rejection("%OY") == "unknown conversion \"%OY\" at offset 0 " + kStrftimeHint);
  CHECK(rejection("%Oc") == "unknown conversion \"%Oc\" at offset 0 " + kStrftimeHint);
  CHECK(rejection("%EOd") == "unknown conversion \"%EO\" at offset 0 " + kStrftimeHint);
}

TEST_CASE("time_format: a pattern that ends inside a conversion", "[time_format]") {
  CHECK(rejection("%") == "format ends inside \"%\" (write %% for a literal %)");
  CHECK(rejection("%H:%M %") == "format ends inside \"%\" (write %% for a literal %)");
  CHECK(rejection("100%") == "format ends inside \"%\" (write %% for a literal %)");
  CHECK(rejection("%-") == "format ends inside \"%-\" (write %% for a literal %)");
  CHECK(rejection("%_10") == "format ends inside \"%_10\" (write %% for a literal %)");
  CHECK(rejection("%E") == "format ends inside \"%E\" (write %% for a literal %)");
  CHECK(rejection("%Y %O") == "format ends inside \"%O\" (write %% for a literal %)");
}

TEST_CASE("time_format: an empty pattern", "[time_format]") {
  CHECK(rejection("") == "empty format (expected a strftime pattern, rfc3339 or rfc868)");
}

TEST_CASE("time_format: a pattern whose line is too long", "[time_format]") {
  CHECK(rejection("%1500Y") == "format gives an empty line or one longer than 1023 characters");
  CHECK(rejection("%1024c") == "format gives an empty line or one longer than 1023 characters");
  // 1023 characters is the longest line.
  CHECK(format_time(parsed("%1023c"), kSample).size() == 1024);
}

TEST_CASE("time_format: %c in the C locale", "[time_format]") {
  CHECK(format_time(TimeFormat{}, kSample) == "Wed Sep 30 23:59:59 2026\n");
  CHECK(format_time(TimeFormat{}, kEpoch) == "Thu Jan  1 00:00:00 1970\n");
  CHECK(format_time(parsed("%Ec"), kSample) == "Wed Sep 30 23:59:59 2026\n");
}

TEST_CASE("time_format: rfc3339 is UTC with a Z", "[time_format]") {
  CHECK(format_time(parsed("rfc3339"), kSample) == "2026-09-30T23:59:59Z\n");
  CHECK(format_time(parsed("rfc3339"), kEpoch) == "1970-01-01T00:00:00Z\n");
}

TEST_CASE("time_format: rfc868 is 4 big-endian bytes of seconds since 1900", "[time_format]") {
  const TimeFormat format = parsed("rfc868");
  // 0 + 2208988800 = 0x83AA7E80.
  CHECK(format_time(format, kEpoch) == bytes({0x83, 0xAA, 0x7E, 0x80}));
  CHECK(big_endian(format_time(format, kEpoch)) == 2'208'988'800U);
  // 1790812799 + 2208988800 = 3999801599 = 0xEE6820FF.
  CHECK(format_time(format, kSample) == bytes({0xEE, 0x68, 0x20, 0xFF}));
  CHECK(big_endian(format_time(format, kSample)) == 3'999'801'599U);
}

TEST_CASE("time_format: rfc868 ignores fractions of a second and wraps after 2036",
          "[time_format]") {
  const TimeFormat format = parsed("rfc868");
  CHECK(format_time(format, kEpoch + std::chrono::milliseconds(999)) ==
        bytes({0x83, 0xAA, 0x7E, 0x80}));
  // 2^32 - 2208988800 = 2085978496: 2036-02-07T06:28:16Z, where the 32 bits wrap to 0.
  const auto wrap = system_clock::from_time_t(2'085'978'496);
  CHECK(format_time(format, wrap - std::chrono::seconds(1)) == bytes({0xFF, 0xFF, 0xFF, 0xFF}));
  CHECK(format_time(format, wrap) == bytes({0x00, 0x00, 0x00, 0x00}));
  CHECK(format_time(format, wrap + std::chrono::seconds(1)) == bytes({0x00, 0x00, 0x00, 0x01}));
}

TEST_CASE("time_format: custom strftime patterns", "[time_format]") {
  CHECK(format_time(parsed("%Y-%m-%d %H:%M:%S"), kSample) == "2026-09-30 23:59:59\n");
  CHECK(format_time(parsed("%Y-%m-%d"), kEpoch) == "1970-01-01\n");
  CHECK(format_time(parsed("%-d/%-m"), kSample) == "30/9\n");
  CHECK(format_time(parsed("%-d"), kEpoch) == "1\n");
  CHECK(format_time(parsed("%_H|"), kEpoch) == " 0|\n");
  CHECK(format_time(parsed("%Od"), kEpoch) == "01\n");
  CHECK(format_time(parsed("%A %B"), kSample) == "Wednesday September\n");
  CHECK(format_time(parsed("%^a %j"), kSample) == "WED 273\n");
  CHECK(format_time(parsed("%10Y"), kSample) == "0000002026\n");
  CHECK(format_time(parsed("%s"), kSample) == "1790812799\n");
  CHECK(format_time(parsed("%Z %z"), kSample) == "GMT +0000\n");
  CHECK(format_time(parsed("100%% at %H"), kSample) == "100% at 23\n");
  CHECK(format_time(parsed("plain text"), kSample) == "plain text\n");
}

TEST_CASE("time_format: a strftime time ignores fractions of a second", "[time_format]") {
  CHECK(format_time(parsed("%H:%M:%S"), kSample + std::chrono::milliseconds(999)) == "23:59:59\n");
}

// parse() checks a pattern's length on one sample time (30 September); an accepted pattern must
// give its whole line at any other time too. "%-m" is one digit in September but two from
// October to December.
TEST_CASE("time_format: an accepted pattern gives its whole line in every month", "[time_format]") {
  for (const std::string pattern : {"%c", "%1023c", "%1022Y%-m", "%1021Y%-m%-d"}) {
    INFO("pattern " << pattern);
    std::string error;
    const auto format = TimeFormat::parse(pattern, error);
    if (!format) continue;  // rejecting a pattern that might not fit is fine too
    for (std::time_t month_start : {1'767'225'600,     // 2026-01-01
                                    1'790'812'800,     // 2026-10-01
                                    1'798'761'599}) {  // 2026-12-31T23:59:59
      INFO("time " << month_start);
      const std::string line = format_time(*format, system_clock::from_time_t(month_start));
      CHECK(line.size() > 1);
      CHECK(line.back() == '\n');
    }
  }
}

}  // namespace
