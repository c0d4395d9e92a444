// Integration tests of the time listener: the real netsvcd binary on loopback ports.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <regex>

#include "support/client.hpp"
#include "support/daemon_process.hpp"
#include "support/ports.hpp"
#include "support/temp_dir.hpp"

namespace netsvcd::test {
namespace {

std::time_t now() {
  return std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
}

// Parses `line` with strptime `pattern` as UTC; -1 if it does not parse completely.
std::time_t parse_utc(const std::string& line, const char* pattern) {
  std::tm tm{};
  const char* end = ::strptime(line.c_str(), pattern, &tm);
  if (!end || *end != '\0') return -1;
  return ::timegm(&tm);
}

// `answered` lies within 2 s of the test's clock read just before and just after the request.
void check_within_2s(std::time_t answered, std::time_t before, std::time_t after) {
  CHECK(answered >= before - 2);
  CHECK(answered <= after + 2);
}

std::string time_config(std::uint16_t port, std::string_view format_line) {
  return fmt::format(R"(listeners:
  - name: daytime
    kind: time
    listen: ["127.0.0.1:{0}", "[::1]:{0}"]
{1}
)",
                     port, format_line);
}

}  // namespace

TEST_CASE("time writes the C locale's %c in UTC by default, over IPv4 and IPv6", "[time]") {
  TempDir dir;
  const auto port = free_port();
  const auto daemon = start_netsvcd(dir, time_config(port, ""));
  for (const char* address : {"127.0.0.1", "::1"}) {
    const auto before = now();
    const std::string answer = fetch(address, port);
    const auto after = now();
    REQUIRE(answer.ends_with('\n'));
    const std::string line = answer.substr(0, answer.size() - 1);
    // %c in the C locale: "Sun Nov 22 04:06:57 2026", whatever LANG says.
    CHECK(std::regex_match(
        line, std::regex(R"([A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d \d{4})")));
    const auto parsed = parse_utc(line, "%a %b %e %H:%M:%S %Y");
    check_within_2s(parsed, before, after);
  }
}

TEST_CASE("time writes RFC 3339 in UTC", "[time]") {
  TempDir dir;
  const auto port = free_port();
  const auto daemon = start_netsvcd(dir, time_config(port, "    format: rfc3339"));
  const auto before = now();
  const std::string answer = fetch("127.0.0.1", port);
  const auto after = now();
  REQUIRE(std::regex_match(answer, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n)")));
  const auto parsed = parse_utc(answer.substr(0, answer.size() - 1), "%Y-%m-%dT%H:%M:%SZ");
  check_within_2s(parsed, before, after);
}

TEST_CASE("time writes RFC 868: four big-endian bytes of seconds since 1900", "[time]") {
  TempDir dir;
  const auto port = free_port();
  const auto daemon = start_netsvcd(dir, time_config(port, "    format: rfc868"));
  const auto before = now();
  const std::string answer = fetch("::1", port);
  const auto after = now();
  REQUIRE(answer.size() == 4);
  std::uint32_t value = 0;
  for (const unsigned char byte : answer)
    value = (value << 8) | byte;
  const auto unix_time = static_cast<std::int64_t>(value) - 2'208'988'800LL;
  check_within_2s(unix_time, before, after);
}

TEST_CASE("time writes a custom strftime pattern in UTC", "[time]") {
  TempDir dir;
  const auto port = free_port();
  const auto daemon =
      start_netsvcd(dir, time_config(port, R"(    format: "day %j of %Y, %H:%M UTC")"));
  const auto before = now();
  const std::string answer = fetch("127.0.0.1", port);
  const auto after = now();
  // The answer must be one of the renderings of a second between before and after.
  bool matched = false;
  for (auto t = before; t <= after && !matched; ++t) {
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char expected[64];
    std::strftime(expected, sizeof expected, "day %j of %Y, %H:%M UTC\n", &tm);
    matched = answer == expected;
  }
  CHECK(matched);
}

TEST_CASE("time answers IPv4 clients of a dual-stack listener", "[time]") {
  TempDir dir;
  const auto port = free_port();
  const auto daemon = start_netsvcd(dir, fmt::format(R"(listeners:
  - name: daytime
    kind: time
    listen: "[::]:{}"
    format: rfc868
)",
                                                     port));
  CHECK(fetch("127.0.0.1", port).size() == 4);
  CHECK(daemon->wait_for_log("daytime: connection from [::ffff:127.0.0.1]:"));
  CHECK(fetch("::1", port).size() == 4);
}

TEST_CASE("time is UTC whatever TZ the daemon is started with, %s and %Z included", "[time]") {
  TempDir dir;
  const auto port = free_port();
  LaunchOptions options;
  options.environment = {"TZ=America/New_York"};
  const auto daemon = start_netsvcd(dir, time_config(port, R"(    format: "%s %H %Z")"), options);
  const auto before = now();
  const std::string answer = fetch("127.0.0.1", port);
  const auto after = now();
  std::tm tm{};
  const std::time_t unix_time = std::stoll(answer);
  ::gmtime_r(&unix_time, &tm);
  check_within_2s(unix_time, before, after);
  CHECK(answer == fmt::format("{} {:02} GMT\n", unix_time, tm.tm_hour));  // gmtime names it GMT
}

}  // namespace netsvcd::test
