// Unit tests for the admission step's pieces: access-list entries (config/cidr), rates
// (config/rate), the limit keys and `defaults:` in the config loader, what a listener's load
// counts (connection/listener_load) and the order of admission's checks (connection/admission).
#include <chrono>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <catch2/catch.hpp>

#include "config/cidr.hpp"
#include "config/config.hpp"
#include "config/loader.hpp"
#include "config/rate.hpp"
#include "connection/admission.hpp"
#include "connection/listener_load.hpp"
#include "services/registry.hpp"

#include "support/config_text.hpp"
#include "support/string_makers.hpp"

namespace {

using namespace std::chrono_literals;
using netsvcd::config::Cidr;
using netsvcd::config::Limits;
using netsvcd::config::Rate;
using netsvcd::connection::Admission;
using netsvcd::connection::ListenerLoad;
using netsvcd::connection::Peer;
using netsvcd::connection::Refusal;
using netsvcd::connection::SourceKey;
using netsvcd::test::config_of;
using netsvcd::test::errors_of;
using Strings = std::vector<std::string>;

boost::asio::ip::address ip(const char* text) {
  return boost::asio::ip::make_address(text);
}

Cidr cidr(const char* text) {
  auto parsed = netsvcd::config::parse_cidr(text);
  INFO(text);
  REQUIRE(std::holds_alternative<Cidr>(parsed));
  return std::get<Cidr>(parsed);
}

std::string cidr_error(const char* text) {
  auto parsed = netsvcd::config::parse_cidr(text);
  INFO(text);
  REQUIRE(std::holds_alternative<std::string>(parsed));
  return std::get<std::string>(parsed);
}

// A hello listener on line 2 onwards; its extra keys start on line 5.
std::string hello_with(const std::string& keys, const std::string& top = "") {
  return top + "listeners:\n  - name: a\n    kind: hello\n    listen: \"127.0.0.1:8001\"\n" + keys;
}

Peer peer(const char* address) {
  return Peer{ip(address), 40000};
}

}  // namespace

TEST_CASE("cidr: networks and single addresses of both families", "[limits][cidr]") {
  CHECK(cidr("10.0.0.0/8").contains(ip("10.255.1.2")));
  CHECK_FALSE(cidr("10.0.0.0/8").contains(ip("11.0.0.1")));
  CHECK(cidr("127.0.0.1").contains(ip("127.0.0.1")));
  CHECK_FALSE(cidr("127.0.0.1").contains(ip("127.0.0.2")));
  CHECK(cidr("0.0.0.0/0").contains(ip("192.0.2.7")));
  CHECK(cidr("2001:db8::/32").contains(ip("2001:db8:ffff::1")));
  CHECK_FALSE(cidr("2001:db8::/32").contains(ip("2001:db9::1")));
  CHECK(cidr("::1").contains(ip("::1")));
  CHECK(cidr("192.168.1.128/25").contains(ip("192.168.1.200")));
  CHECK_FALSE(cidr("192.168.1.128/25").contains(ip("192.168.1.127")));
  CHECK(netsvcd::config::to_string(cidr("10.0.0.0/8")) == "10.0.0.0/8");
  CHECK(netsvcd::config::to_string(cidr("::1")) == "::1/128");
}

TEST_CASE("cidr: an IPv4-mapped client is matched as IPv4, by IPv4 entries only",
          "[limits][cidr]") {
  CHECK(cidr("127.0.0.0/8").contains(ip("::ffff:127.0.0.9")));
  CHECK_FALSE(cidr("::/0").contains(ip("::ffff:127.0.0.9")));
  CHECK_FALSE(cidr("::/0").contains(ip("127.0.0.9")));
  CHECK(cidr("::/0").contains(ip("::1")));
  CHECK_FALSE(cidr("0.0.0.0/0").contains(ip("::1")));
  // An entry written IPv4-mapped is the IPv4 network it carries.
  CHECK(cidr("::ffff:10.0.0.0/104") == cidr("10.0.0.0/8"));
}

TEST_CASE("cidr: what is refused, and why", "[limits][cidr]") {
  CHECK(cidr_error("10.1.0.0/8") ==
        "\"10.1.0.0/8\" has bits set past its /8 prefix (the network is 10.0.0.0/8)");
  CHECK(cidr_error("2001:db8::1/32") ==
        "\"2001:db8::1/32\" has bits set past its /32 prefix (the network is 2001:db8::/32)");
  CHECK(cidr_error("10.0.0.0/33") ==
        "\"10.0.0.0/33\": the prefix length must be a number from 0 to 32");
  CHECK(cidr_error("::/129") == "\"::/129\": the prefix length must be a number from 0 to 128");
  CHECK(cidr_error("10.0.0.0/") ==
        "\"10.0.0.0/\": the prefix length must be a number from 0 to 32");
  CHECK(cidr_error("10.0.0.0/-1") ==
        "\"10.0.0.0/-1\": the prefix length must be a number from 0 to 32");
  for (const char* text : {"localhost", "10.0.0", "", "fe80::1%lo", "10.0.0.0.0/8"}) {
    CHECK(cidr_error(text) == "\"" + std::string(text) +
                                  "\" is not an address or network (expected 10.0.0.0/8, "
                                  "2001:db8::/32 or one address)");
  }
}

TEST_CASE("rate: N per second, minute or hour", "[limits][rate]") {
  const auto rate = [](const char* text) {
    auto parsed = netsvcd::config::parse_rate(text);
    REQUIRE(std::holds_alternative<Rate>(parsed));
    return std::get<Rate>(parsed);
  };
  CHECK(rate("200/s") == Rate{200, 1s});
  CHECK(rate("30/m") == Rate{30, 60s});
  CHECK(rate("30/min") == Rate{30, 60s});
  CHECK(rate("500/h") == Rate{500, 3600s});
  CHECK(rate("4/s").interval() == 250ms);
  CHECK(netsvcd::config::to_string(rate("30/min")) == "30/m");
  for (const char* text : {"fast", "200", "0/s", "-5/s", "200/d", "/s", "1.5/s", "2000000000/s"}) {
    INFO(text);
    auto parsed = netsvcd::config::parse_rate(text);
    REQUIRE(std::holds_alternative<std::string>(parsed));
    CHECK(std::get<std::string>(parsed) ==
          "expected a rate such as 200/s, 30/m or 500/h (a whole number from 1 to 1000000000 "
          "per second, minute or hour), got \"" +
              std::string(text) + "\"");
  }
}

TEST_CASE("config: limit keys on a listener, and defaults for every listener", "[limits][config]") {
  const auto config = config_of(R"(defaults:
  max_connections: 1000
  max_per_source: 50
  rate_limit: 200/s
  allow: ["127.0.0.0/8", "::1"]
listeners:
  - name: a
    kind: hello
    listen: "127.0.0.1:8001"
  - name: b
    kind: hello
    listen: "127.0.0.1:8002"
    max_per_source: 5
    allow: "10.0.0.0/8"
    deny: ["10.1.0.0/16"]
)");
  const Limits& a = config->listeners[0].limits;
  CHECK(a.max_connections == 1000u);
  CHECK(a.max_per_source == 50u);
  CHECK(a.rate_limit == Rate{200, 1s});
  CHECK(a.allow == std::vector<Cidr>{cidr("127.0.0.0/8"), cidr("::1")});
  CHECK(a.deny.empty());
  const Limits& b = config->listeners[1].limits;
  CHECK(b.max_connections == 1000u);
  CHECK(b.max_per_source == 5u);
  CHECK(b.allow == std::vector<Cidr>{cidr("10.0.0.0/8")});
  CHECK(b.deny == std::vector<Cidr>{cidr("10.1.0.0/16")});

  const auto plain = config_of(hello_with(""));
  CHECK_FALSE(plain->listeners[0].limits.any());
}

TEST_CASE("config error: bad limits name file, line, column and key", "[limits][config]") {
  CHECK(errors_of(hello_with("    max_connections: -1\n")) ==
        Strings{"netsvcd.yaml:5:22: listeners[0].max_connections: expected a whole number from 1 "
                "to 100000000, got \"-1\""});
  CHECK(errors_of(hello_with("    max_per_source: many\n")) ==
        Strings{"netsvcd.yaml:5:21: listeners[0].max_per_source: expected a whole number from 1 "
                "to 100000000, got \"many\""});
  CHECK(errors_of(hello_with("    rate_limit: fast\n")) ==
        Strings{"netsvcd.yaml:5:17: listeners[0].rate_limit: expected a rate such as 200/s, 30/m "
                "or 500/h (a whole number from 1 to 1000000000 per second, minute or hour), got "
                "\"fast\""});
  CHECK(errors_of(hello_with("    allow: [\"127.0.0.1\", \"10.1.0.0/8\"]\n")) ==
        Strings{"netsvcd.yaml:5:26: listeners[0].allow[1]: \"10.1.0.0/8\" has bits set past its "
                "/8 prefix (the network is 10.0.0.0/8)"});
  CHECK(errors_of(hello_with("    deny: [\"300.0.0.0/8\"]\n")) ==
        Strings{"netsvcd.yaml:5:12: listeners[0].deny[0]: \"300.0.0.0/8\" is not an address or "
                "network (expected 10.0.0.0/8, 2001:db8::/32 or one address)"});
  CHECK(errors_of(hello_with("    allow: {a: 1}\n")) ==
        Strings{"netsvcd.yaml:5:12: listeners[0].allow: expected a list of addresses or networks "
                "such as [\"127.0.0.0/8\", \"::1\"], got a mapping"});
  CHECK(errors_of(hello_with("", "defaults:\n  rate_limt: 5/s\n")) ==
        Strings{"netsvcd.yaml:2:3: defaults.rate_limt: unknown key: did you mean \"rate_limit\"? "
                "(expected max_connections, max_per_source, rate_limit, allow, deny, "
                "udp_rate_per_source, udp_rate)"});
  CHECK(errors_of(hello_with("", "defaults: 5\n")) ==
        Strings{
            "netsvcd.yaml:1:11: defaults: expected a mapping of limits (max_connections, "
            "max_per_source, rate_limit, allow, deny, udp_rate_per_source, udp_rate), got \"5\""});
  CHECK(errors_of(hello_with("", "defaults:\n  max_connections: 0\n")) ==
        Strings{"netsvcd.yaml:2:20: defaults.max_connections: expected a whole number from 1 to "
                "100000000, got \"0\""});
}

TEST_CASE("config: proxy_protocol with the proxies in proxy_from", "[limits][config][proxy]") {
  const auto config = config_of(hello_with(
      "    proxy_protocol: true\n    proxy_from: [\"127.0.0.1\", \"10.0.0.0/8\", \"::1\"]\n"
      "  - name: b\n    kind: hello\n    listen: \"127.0.0.1:8002\"\n"
      "    proxy_protocol: true\n    proxy_from: 192.0.2.0/24\n"
      "  - name: c\n    kind: hello\n    listen: \"127.0.0.1:8003\"\n"
      "    proxy_protocol: false\n"));
  CHECK(config->listeners[0].proxy_protocol);
  CHECK(config->listeners[0].proxy_from ==
        std::vector<Cidr>{cidr("127.0.0.1"), cidr("10.0.0.0/8"), cidr("::1")});
  CHECK(config->listeners[1].proxy_protocol);
  CHECK(config->listeners[1].proxy_from == std::vector<Cidr>{cidr("192.0.2.0/24")});
  CHECK_FALSE(config->listeners[2].proxy_protocol);
  CHECK(config->listeners[2].proxy_from.empty());
  const auto plain = config_of(hello_with(""));
  CHECK_FALSE(plain->listeners[0].proxy_protocol);
  CHECK(plain->listeners[0].proxy_from.empty());
}

TEST_CASE("config error: proxy_protocol and proxy_from name file, line, column and key",
          "[limits][config][proxy]") {
  CHECK(errors_of(hello_with("    proxy_protocol: yes\n    proxy_from: [\"127.0.0.1\"]\n")) ==
        Strings{"netsvcd.yaml:5:21: listeners[0].proxy_protocol: expected true or false, got "
                "\"yes\""});
  CHECK(errors_of(hello_with("    proxy_protocol: [true]\n")) ==
        Strings{"netsvcd.yaml:5:21: listeners[0].proxy_protocol: expected true or false, got a "
                "list"});
  CHECK(errors_of(hello_with("    proxy_protocol: true\n")) ==
        Strings{"netsvcd.yaml:5:21: listeners[0].proxy_protocol: true needs proxy_from, the "
                "proxies that may send a PROXY header (such as [\"127.0.0.1\"]): without it "
                "anyone could claim any address"});
  CHECK(errors_of(hello_with("    proxy_protocol: true\n    proxy_from: []\n")) ==
        Strings{"netsvcd.yaml:6:17: listeners[0].proxy_from: empty: expected the addresses or "
                "networks of the proxies that may send a PROXY header"});
  CHECK(errors_of(hello_with("    proxy_protocol: true\n    proxy_from: [\"127.0.0.1\", "
                             "\"10.1.0.0/8\", \"localhost\"]\n")) ==
        Strings{"netsvcd.yaml:6:31: listeners[0].proxy_from[1]: \"10.1.0.0/8\" has bits set past "
                "its /8 prefix (the network is 10.0.0.0/8)",
                "netsvcd.yaml:6:45: listeners[0].proxy_from[2]: \"localhost\" is not an address "
                "or network (expected 10.0.0.0/8, 2001:db8::/32 or one address)"});
  CHECK(errors_of(hello_with("    proxy_protocol: true\n    proxy_from: {a: 1}\n")) ==
        Strings{"netsvcd.yaml:6:17: listeners[0].proxy_from: expected a list of addresses or "
                "networks such as [\"127.0.0.0/8\", \"::1\"], got a mapping"});
  // A proxy_from that nothing reads is a mistake, as an unknown key is.
  CHECK(errors_of(hello_with("    proxy_from: [\"127.0.0.1\"]\n")) ==
        Strings{"netsvcd.yaml:5:17: listeners[0].proxy_from: has no effect without "
                "proxy_protocol: true"});
  CHECK(errors_of(hello_with("    proxy_protocol: false\n    proxy_from: [\"127.0.0.1\"]\n")) ==
        Strings{"netsvcd.yaml:6:17: listeners[0].proxy_from: has no effect without "
                "proxy_protocol: true"});
  // Per listener only: a proxy is a fact of one listener, not a default for all.
  CHECK(errors_of(hello_with("", "defaults:\n  proxy_protocol: true\n")) ==
        Strings{"netsvcd.yaml:2:3: defaults.proxy_protocol: unknown key (expected "
                "max_connections, max_per_source, rate_limit, allow, deny, udp_rate_per_source, "
                "udp_rate)"});
}

TEST_CASE("load: connections in all, and per IPv4 address or IPv6 /64", "[limits][load]") {
  ListenerLoad load;
  CHECK(load.enter(2));
  CHECK(load.enter(2));
  CHECK_FALSE(load.enter(2));
  CHECK(load.open() == 2);
  load.leave();
  CHECK(load.enter(2));

  const auto one = SourceKey::of(ip("192.0.2.1"));
  CHECK(SourceKey::of(ip("::ffff:192.0.2.1")) == one);
  CHECK_FALSE(SourceKey::of(ip("192.0.2.2")) == one);
  CHECK(SourceKey::of(ip("2001:db8:1:2::1")) == SourceKey::of(ip("2001:db8:1:2:ffff::9")));
  CHECK_FALSE(SourceKey::of(ip("2001:db8:1:2::1")) == SourceKey::of(ip("2001:db8:1:3::1")));
  CHECK(load.enter_source(one, 1));
  CHECK_FALSE(load.enter_source(one, 1));
  CHECK(load.enter_source(SourceKey::of(ip("192.0.2.2")), 1));
  load.leave_source(one);
  CHECK(load.open_from(one) == 0);
  CHECK(load.enter_source(one, 1));
}

TEST_CASE("load: the token bucket gives a burst of N, then N per unit", "[limits][load]") {
  ListenerLoad load;
  const Rate rate{4, 1s};  // a token every 250 ms, up to 4 at once
  const ListenerLoad::Clock::time_point start{std::chrono::hours(1)};
  for (int i = 0; i < 4; ++i)
    CHECK(load.take_token(rate, start));
  CHECK_FALSE(load.take_token(rate, start));
  CHECK_FALSE(load.take_token(rate, start + 249ms));
  CHECK(load.take_token(rate, start + 250ms));
  CHECK_FALSE(load.take_token(rate, start + 250ms));
  // A quiet spell fills the bucket again, never past its size.
  for (int i = 0; i < 4; ++i)
    CHECK(load.take_token(rate, start + 10s));
  CHECK_FALSE(load.take_token(rate, start + 10s));
}

TEST_CASE("load: refusals are counted by reason, logged once, then summed up per interval",
          "[limits][load]") {
  ListenerLoad load;
  const ListenerLoad::Clock::time_point start{std::chrono::hours(1)};
  CHECK(load.refused(Refusal::max_per_source, start));
  CHECK_FALSE(load.refused(Refusal::max_per_source, start + 1s));
  CHECK_FALSE(load.refused(Refusal::access, start + 2s));
  CHECK_FALSE(load.refused(Refusal::access, start + 3s));
  CHECK(load.refusals(Refusal::max_per_source) == 2);
  CHECK(load.refusals(Refusal::access) == 2);
  CHECK(load.unreported(start + 5s).first == 0);  // not yet: the interval has not passed
  const auto [total, words] = load.unreported(start + 10s);
  CHECK(total == 3);
  CHECK(words == "2 by access, 1 by max_per_source");
  CHECK(load.unreported(start + 30s).first == 0);
  // After a quiet interval the next one is logged on its own again.
  CHECK(load.refused(Refusal::rate_limit, start + 40s));
  CHECK(load.unreported(start + 41s, true).first == 0);
}

TEST_CASE("load: the PROXY step's refusals are counted, named and summed up like the others",
          "[limits][load][proxy]") {
  CHECK(netsvcd::connection::to_string(Refusal::proxy_untrusted) == "proxy_untrusted");
  CHECK(netsvcd::connection::to_string(Refusal::proxy_malformed) == "proxy_malformed");
  CHECK(netsvcd::connection::to_string(Refusal::proxy_timeout) == "proxy_timeout");
  ListenerLoad load;
  const auto start = ListenerLoad::Clock::now();
  CHECK(load.refused(Refusal::proxy_untrusted, start));
  CHECK_FALSE(load.refused(Refusal::proxy_malformed, start));
  CHECK_FALSE(load.refused(Refusal::proxy_malformed, start));
  CHECK_FALSE(load.refused(Refusal::proxy_timeout, start));
  CHECK_FALSE(load.refused(Refusal::access, start));
  CHECK(load.refusals(Refusal::proxy_malformed) == 2);
  const auto [total, words] = load.unreported(start + 11s);
  CHECK(total == 4);
  CHECK(words == "1 by access, 2 by proxy_malformed, 1 by proxy_timeout");
  const Admission admission({}, std::make_shared<ListenerLoad>());
  CHECK(admission.explain(Refusal::proxy_untrusted, peer("10.0.0.1")) ==
        "its address is not in proxy_from, so it may not send a PROXY header");
  CHECK(admission.explain(Refusal::proxy_malformed, peer("10.0.0.1")) == "malformed PROXY header");
  CHECK(admission.explain(Refusal::proxy_timeout, peer("10.0.0.1")) ==
        "no whole PROXY header in time");
}

TEST_CASE("admission: access lists first, then the counts, then the rate", "[limits][admission]") {
  Limits limits;
  limits.allow = {cidr("127.0.0.0/8"), cidr("2001:db8::/32")};
  limits.deny = {cidr("127.0.0.3")};
  limits.max_connections = 2;
  limits.max_per_source = 1;
  const auto load = std::make_shared<ListenerLoad>();
  const Admission admission(limits, load);
  const auto refusal = [&](const char* address) {
    const auto result = admission.admit(peer(address));
    return std::holds_alternative<Refusal>(result) ? std::get<Refusal>(result)
                                                   : static_cast<Refusal>(99);
  };
  CHECK(refusal("10.0.0.1") == Refusal::access);
  CHECK(refusal("127.0.0.3") == Refusal::access);
  CHECK(refusal("::1") == Refusal::access);
  CHECK(admission.explain(Refusal::access, peer("10.0.0.1")) == "its address is not in allow");
  CHECK(admission.explain(Refusal::access, peer("127.0.0.3")) == "its address is in deny");
  {
    auto first = admission.admit(peer("::ffff:127.0.0.1"));  // matched as 127.0.0.1
    REQUIRE(std::holds_alternative<Admission::Ticket>(first));
    CHECK(refusal("127.0.0.1") == Refusal::max_per_source);
    CHECK(load->open() == 1);  // the refused one gave its place back
    auto second = admission.admit(peer("2001:db8::5"));
    REQUIRE(std::holds_alternative<Admission::Ticket>(second));
    CHECK(refusal("127.0.0.2") == Refusal::max_connections);
    CHECK(admission.explain(Refusal::max_connections, peer("127.0.0.2")) ==
          "max_connections 2 open already");
  }
  // The tickets are gone: their places are free again.
  CHECK(load->open() == 0);
  CHECK(load->open_from(SourceKey::of(ip("127.0.0.1"))) == 0);
  CHECK(std::holds_alternative<Admission::Ticket>(admission.admit(peer("127.0.0.1"))));
}

TEST_CASE("admission: a connection refused by the rate takes no place", "[limits][admission]") {
  Limits limits;
  limits.rate_limit = Rate{1, 3600s};
  limits.max_connections = 5;
  const auto load = std::make_shared<ListenerLoad>();
  const Admission admission(limits, load);
  auto first = admission.admit(peer("127.0.0.1"));
  REQUIRE(std::holds_alternative<Admission::Ticket>(first));
  const auto second = admission.admit(peer("127.0.0.1"));
  REQUIRE(std::holds_alternative<Refusal>(second));
  CHECK(std::get<Refusal>(second) == Refusal::rate_limit);
  CHECK(load->open() == 1);
  CHECK(admission.explain(Refusal::rate_limit, peer("127.0.0.1")) == "over rate_limit 1/h");
}

TEST_CASE("admission: a listener without limits admits without counting", "[limits][admission]") {
  const auto load = std::make_shared<ListenerLoad>();
  const Admission admission({}, load);
  auto ticket = admission.admit(peer("192.0.2.1"));
  CHECK(std::holds_alternative<Admission::Ticket>(ticket));
  CHECK(load->open() == 0);
}
