// Unit tests for daemon/connection/datagram_guard.*: which datagrams a UDP listener answers, by
// access list, reflection rules and token buckets, at times the test sets (no clock is read).
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "config/cidr.hpp"
#include "config/limits.hpp"
#include "connection/datagram_guard.hpp"

namespace {

using netsvcd::config::Limits;
using netsvcd::config::Rate;
using netsvcd::connection::DatagramDrop;
using netsvcd::connection::DatagramGuard;
using Verdict = std::optional<DatagramDrop>;
using namespace std::chrono_literals;

const DatagramGuard::Clock::time_point kStart{std::chrono::hours(1)};

DatagramGuard::Source source(const std::string& address, std::uint16_t port = 40000) {
  return {boost::asio::ip::make_address(address), port};
}

Verdict one(DatagramGuard& guard, const DatagramGuard::Source& from,
            DatagramGuard::Clock::time_point at) {
  Verdict verdict;
  guard.decide({&from, 1}, {&verdict, 1}, at);
  return verdict;
}

netsvcd::config::Cidr cidr(const std::string& text) {
  return std::get<netsvcd::config::Cidr>(netsvcd::config::parse_cidr(text));
}

}  // namespace

TEST_CASE("datagram guard: service ports are never answered", "[datagram]") {
  using netsvcd::connection::is_service_port;
  for (const int port :
       {0, 7, 13, 17, 19, 37, 53, 69, 123, 161, 389, 1023, 1900, 2049, 3702, 5353, 5683, 11211}) {
    INFO(port);
    CHECK(is_service_port(static_cast<std::uint16_t>(port)));
  }
  for (const int port : {1024, 8013, 32768, 40000, 60999, 65535}) {
    INFO(port);
    CHECK_FALSE(is_service_port(static_cast<std::uint16_t>(port)));
  }
}

TEST_CASE("datagram guard: only unicast sources are answered", "[datagram]") {
  using netsvcd::connection::is_not_unicast;
  for (const char* address :
       {"0.0.0.0", "0.1.2.3", "255.255.255.255", "224.0.0.1", "239.255.255.250", "::", "ff02::1",
        "::ffff:255.255.255.255", "::ffff:224.0.0.251"}) {
    INFO(address);
    CHECK(is_not_unicast(boost::asio::ip::make_address(address)));
  }
  for (const char* address : {"127.0.0.1", "192.0.2.7", "::1", "2001:db8::1", "::ffff:127.0.0.1"}) {
    INFO(address);
    CHECK_FALSE(is_not_unicast(boost::asio::ip::make_address(address)));
  }
}

TEST_CASE("datagram guard: a source gets its rate, then nothing until tokens come back",
          "[datagram]") {
  DatagramGuard guard(Limits{});  // the defaults: 10/s a source, 1000/s in all
  const auto client = source("192.0.2.1");
  for (int i = 0; i < 10; ++i) {
    INFO(i);
    CHECK(one(guard, client, kStart) == std::nullopt);
  }
  // The datagram that crosses the rate gets no answer; the one before it did.
  CHECK(one(guard, client, kStart) == DatagramDrop::rate_per_source);
  // Another source, and the same one over IPv4-mapped IPv6 is the same source.
  CHECK(one(guard, source("192.0.2.2"), kStart) == std::nullopt);
  CHECK(one(guard, source("::ffff:192.0.2.1"), kStart) == DatagramDrop::rate_per_source);
  // A token a tenth of a second.
  CHECK(one(guard, client, kStart + 99ms) == DatagramDrop::rate_per_source);
  CHECK(one(guard, client, kStart + 100ms) == std::nullopt);
  CHECK(one(guard, client, kStart + 100ms) == DatagramDrop::rate_per_source);
  // After a quiet second, the whole burst again.
  for (int i = 0; i < 10; ++i)
    CHECK(one(guard, client, kStart + 2s) == std::nullopt);
  CHECK(one(guard, client, kStart + 2s) == DatagramDrop::rate_per_source);
}

TEST_CASE("datagram guard: the listener's cap holds over many sources", "[datagram]") {
  Limits limits;
  limits.udp_rate = Rate{5, 1s};
  DatagramGuard guard(limits);
  for (int i = 0; i < 5; ++i)
    CHECK(one(guard, source("192.0.2." + std::to_string(i + 1)), kStart) == std::nullopt);
  CHECK(one(guard, source("192.0.2.100"), kStart) == DatagramDrop::rate);
  CHECK(one(guard, source("192.0.2.100"), kStart + 200ms) == std::nullopt);
}

TEST_CASE("datagram guard: access lists first, then reflection, and neither takes a token",
          "[datagram]") {
  Limits limits;
  limits.deny = {cidr("192.0.2.66")};
  limits.udp_rate_per_source = Rate{1, 1s};
  DatagramGuard guard(limits);
  CHECK(one(guard, source("192.0.2.66"), kStart) == DatagramDrop::access);
  CHECK(one(guard, source("192.0.2.66", 19), kStart) == DatagramDrop::access);
  CHECK(one(guard, source("192.0.2.1", 19), kStart) == DatagramDrop::reflection);
  CHECK(one(guard, source("192.0.2.1", 0), kStart) == DatagramDrop::reflection);
  CHECK(one(guard, source("255.255.255.255"), kStart) == DatagramDrop::reflection);
  // The forged ones took none of 192.0.2.1's one token.
  CHECK(one(guard, source("192.0.2.1"), kStart) == std::nullopt);
  CHECK(one(guard, source("192.0.2.1"), kStart) == DatagramDrop::rate_per_source);

  Limits only;
  only.allow = {cidr("127.0.0.0/8"), cidr("::1")};
  DatagramGuard allowing(only);
  CHECK(one(allowing, source("127.0.0.5"), kStart) == std::nullopt);
  CHECK(one(allowing, source("::ffff:127.0.0.5"), kStart) == std::nullopt);
  CHECK(one(allowing, source("::1"), kStart) == std::nullopt);
  CHECK(one(allowing, source("192.0.2.1"), kStart) == DatagramDrop::access);
}

TEST_CASE("datagram guard: a flood of forged sources fits in its table and is capped",
          "[datagram]") {
  Limits limits;
  limits.udp_rate = Rate{1000000, 1s};
  DatagramGuard guard(limits);
  // Four times the table: every new source is answered once, the table never grows.
  const std::size_t sources = 4 * DatagramGuard::kTrackedSources;
  std::vector<DatagramGuard::Source> batch;
  for (std::size_t i = 0; i < sources; ++i) {
    batch.push_back(
        {boost::asio::ip::address_v4(0x0a000000u + static_cast<std::uint32_t>(i)), 40000});
  }
  std::vector<Verdict> verdicts(batch.size(), DatagramDrop::access);
  guard.decide(batch, verdicts, kStart);
  CHECK(std::count(verdicts.begin(), verdicts.end(), std::nullopt) ==
        static_cast<std::ptrdiff_t>(sources));
  // A source seen last is still tracked: its burst is spent in the same instant.
  const auto last = batch.back();
  for (int i = 0; i < 9; ++i)
    CHECK(one(guard, last, kStart) == std::nullopt);
  CHECK(one(guard, last, kStart) == DatagramDrop::rate_per_source);
}
