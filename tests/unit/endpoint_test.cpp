// Unit tests for daemon/config/endpoint.*: listen forms, their spelling, which pairs of
// endpoints the kernel cannot bind together, and Endpoint's ordering and equality.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <catch2/catch.hpp>

#include "config/endpoint.hpp"

#include "support/string_makers.hpp"

namespace {

using netsvcd::config::bind_conflict;
using netsvcd::config::Endpoint;
using netsvcd::config::resolve_listen;
using Endpoints = std::vector<Endpoint>;

Endpoint endpoint(const char* address, std::uint16_t port, bool v6only) {
  return Endpoint{boost::asio::ip::make_address(address), port, v6only};
}

// The endpoints `text` resolves to; fails the test if it is an error.
Endpoints resolved(std::string_view text, bool v6only) {
  auto result = resolve_listen(text, v6only);
  if (const auto* message = std::get_if<std::string>(&result)) FAIL(text << ": " << *message);
  return std::get<Endpoints>(result);
}

// The message for a bad `text`; fails the test if it resolves.
std::string error_of(std::string_view text) {
  auto result = resolve_listen(text, false);
  if (const auto* endpoints = std::get_if<Endpoints>(&result)) {
    FAIL(text << " resolved to " << Catch::Detail::stringify(*endpoints));
  }
  return std::get<std::string>(result);
}

const std::string kForms =
    "expected host:port such as [::]:8080, 0.0.0.0:8080, 127.0.0.1:8080, [::1]:8080 or "
    "localhost:8080";

TEST_CASE("endpoint: [::]:P is dual-stack unless v6only", "[endpoint]") {
  CHECK(resolved("[::]:8080", false) == Endpoints{endpoint("::", 8080, false)});
  CHECK(resolved("[::]:8080", true) == Endpoints{endpoint("::", 8080, true)});
  CHECK(endpoint("::", 8080, false).dual_stack());
  CHECK_FALSE(endpoint("::", 8080, true).dual_stack());
}

TEST_CASE("endpoint: IPv4 addresses are never v6only", "[endpoint]") {
  CHECK(resolved("0.0.0.0:8080", false) == Endpoints{endpoint("0.0.0.0", 8080, false)});
  CHECK(resolved("0.0.0.0:8080", true) == Endpoints{endpoint("0.0.0.0", 8080, false)});
  CHECK(resolved("127.0.0.1:8013", true) == Endpoints{endpoint("127.0.0.1", 8013, false)});
  CHECK_FALSE(endpoint("0.0.0.0", 8080, false).dual_stack());
}

TEST_CASE("endpoint: a specific IPv6 address is always v6only", "[endpoint]") {
  CHECK(resolved("[::1]:8013", false) == Endpoints{endpoint("::1", 8013, true)});
  CHECK(resolved("[::1]:8013", true) == Endpoints{endpoint("::1", 8013, true)});
  CHECK(resolved("[2001:db8::7]:1", false) == Endpoints{endpoint("2001:db8::7", 1, true)});
  CHECK_FALSE(endpoint("::1", 8013, false).dual_stack());
}

TEST_CASE("endpoint: ports 1 and 65535 are valid", "[endpoint]") {
  CHECK(resolved("127.0.0.1:1", false) == Endpoints{endpoint("127.0.0.1", 1, false)});
  CHECK(resolved("[::]:65535", false) == Endpoints{endpoint("::", 65535, false)});
}

TEST_CASE("endpoint: localhost resolves to 127.0.0.1 without duplicates", "[endpoint]") {
  const Endpoints endpoints = resolved("localhost:8013", false);
  CHECK(std::find(endpoints.begin(), endpoints.end(), endpoint("127.0.0.1", 8013, false)) !=
        endpoints.end());
  Endpoints sorted = endpoints;
  std::sort(sorted.begin(), sorted.end());
  CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
  for (const Endpoint& e : endpoints) {
    CHECK(e.port == 8013);
    CHECK(e.v6only == e.address.is_v6());
  }
}

TEST_CASE("endpoint: to_string round trips", "[endpoint]") {
  for (const std::string text :
       {"[::]:8080", "127.0.0.1:8013", "[::1]:8013", "0.0.0.0:1", "[2001:db8::1]:65535"}) {
    INFO(text);
    const Endpoints endpoints = resolved(text, false);
    REQUIRE(endpoints.size() == 1);
    CHECK(netsvcd::config::to_string(endpoints[0]) == text);
    CHECK(resolved(netsvcd::config::to_string(endpoints[0]), false) == endpoints);
  }
  CHECK(netsvcd::config::to_string(endpoint("::", 8080, true)) == "[::]:8080");
}

TEST_CASE("endpoint error: bad ports", "[endpoint]") {
  CHECK(error_of("[::]:0") == "bad port \"0\" (expected 1 to 65535)");
  CHECK(error_of("[::]:65536") == "bad port \"65536\" (expected 1 to 65535)");
  CHECK(error_of("127.0.0.1:http") == "bad port \"http\" (expected 1 to 65535)");
  CHECK(error_of("127.0.0.1:-1") == "bad port \"-1\" (expected 1 to 65535)");
  CHECK(error_of("127.0.0.1:+80") == "bad port \"+80\" (expected 1 to 65535)");
  CHECK(error_of("127.0.0.1:80x") == "bad port \"80x\" (expected 1 to 65535)");
  CHECK(error_of("127.0.0.1:") == "bad port \"\" (expected 1 to 65535)");
  CHECK(error_of("[::1]:99999999999") == "bad port \"99999999999\" (expected 1 to 65535)");
}

TEST_CASE("endpoint error: missing port, host or bracket", "[endpoint]") {
  CHECK(error_of("127.0.0.1") == "missing :port; " + kForms);
  CHECK(error_of("localhost") == "missing :port; " + kForms);
  CHECK(error_of("[::1]") == "missing :port after ']'; " + kForms);
  CHECK(error_of("[::1]8013") == "missing :port after ']'; " + kForms);
  CHECK(error_of("[::1:8013") == "missing ']' after the IPv6 address; " + kForms);
  CHECK(error_of(":8080") ==
        "missing host: write [::]:8080 for every address or 0.0.0.0:8080 for every IPv4 address");
  CHECK(error_of("[]:8080") ==
        "missing host: write [::]:8080 for every address or 0.0.0.0:8080 for every IPv4 address");
}

TEST_CASE("endpoint error: IPv6 without brackets, bad or IPv4-mapped", "[endpoint]") {
  CHECK(error_of("::1:8013") == "an IPv6 address needs brackets, as in [::1]:8080");
  CHECK(error_of(":::8013") == "an IPv6 address needs brackets, as in [::1]:8080");
  CHECK(error_of("[::g]:8013") == "bad IPv6 address \"::g\"");
  CHECK(error_of("[127.0.0.1]:8013") == "bad IPv6 address \"127.0.0.1\"");
  CHECK(error_of("[::ffff:127.0.0.1]:8013") ==
        "an IPv4-mapped address; write the IPv4 address itself, as in 127.0.0.1:8013");
  CHECK(error_of("[::ffff:10.1.2.3]:80") ==
        "an IPv4-mapped address; write the IPv4 address itself, as in 10.1.2.3:80");
}

TEST_CASE("endpoint error: short or malformed IPv4 forms are not taken for other addresses",
          "[endpoint]") {
  // getaddrinfo would read 127.1 as 127.0.0.1 and 10.0.1 as 10.0.0.1.
  CHECK(error_of("127.1:80") == "bad IPv4 address \"127.1\"");
  CHECK(error_of("10.0.1:80") == "bad IPv4 address \"10.0.1\"");
  CHECK(error_of("256.0.0.1:80") == "bad IPv4 address \"256.0.0.1\"");
  CHECK(error_of("1234:80") == "bad IPv4 address \"1234\"");
}

TEST_CASE("endpoint error: an IPv6 scope that names no interface", "[endpoint]") {
  CHECK(error_of("[fe80::1%nosuchif0]:80") == "unknown interface in \"fe80::1%nosuchif0\"");
  const auto with_loopback = resolved("[fe80::1%lo]:80", false);
  REQUIRE(with_loopback.size() == 1);
  CHECK(with_loopback[0].address.to_v6().scope_id() != 0);
}

TEST_CASE("endpoint error: bad or unresolvable host names", "[endpoint]") {
  CHECK(error_of("bad_host:80") == "bad host \"bad_host\"; " + kForms);
  CHECK(error_of("a b:80") == "bad host \"a b\"; " + kForms);
  CHECK_THAT(error_of("nosuchhost.invalid:80"),
             Catch::StartsWith("cannot resolve \"nosuchhost.invalid\": "));
}

TEST_CASE("endpoint bind_conflict: different ports never clash", "[endpoint][bind_conflict]") {
  CHECK(bind_conflict(endpoint("::", 8001, false), endpoint("::", 8002, false)) == std::nullopt);
  CHECK(bind_conflict(endpoint("0.0.0.0", 8001, false), endpoint("::", 8002, false)) ==
        std::nullopt);
  CHECK(bind_conflict(endpoint("127.0.0.1", 8001, false), endpoint("127.0.0.1", 8002, false)) ==
        std::nullopt);
}

TEST_CASE("endpoint bind_conflict: truth table on one port, both orders",
          "[endpoint][bind_conflict]") {
  const std::optional<std::string> none;
  const std::optional<std::string> same = "the same address and port twice";
  const std::optional<std::string> dual =
      "[::]:8001 is dual-stack and already takes IPv4 on that port (give its listener v6only: "
      "true to share the port with IPv4 listeners)";
  const std::optional<std::string> any4 =
      "0.0.0.0:8001 already takes every IPv4 address on that port";
  const std::optional<std::string> any6 = "[::]:8001 already takes every IPv6 address on that port";

  const Endpoint dual_stack = endpoint("::", 8001, false);
  const Endpoint only6 = endpoint("::", 8001, true);
  const Endpoint wildcard4 = endpoint("0.0.0.0", 8001, false);
  const Endpoint loop4 = endpoint("127.0.0.1", 8001, false);
  const Endpoint other4 = endpoint("127.0.0.2", 8001, false);
  const Endpoint loop6 = endpoint("::1", 8001, true);
  const Endpoint other6 = endpoint("2001:db8::1", 8001, true);

  struct Row {
    const char* what;
    Endpoint a;
    Endpoint b;
    std::optional<std::string> expected;
  };
  const std::vector<Row> rows{
      {"[::] twice", dual_stack, dual_stack, same},
      {"[::] v6only twice", only6, only6, same},
      {"[::] dual-stack and v6only", dual_stack, only6, same},
      {"0.0.0.0 twice", wildcard4, wildcard4, same},
      {"127.0.0.1 twice", loop4, loop4, same},
      {"[::1] twice", loop6, loop6, same},
      {"0.0.0.0 and dual-stack [::]", wildcard4, dual_stack, dual},
      {"127.0.0.1 and dual-stack [::]", loop4, dual_stack, dual},
      {"[::1] and dual-stack [::]", loop6, dual_stack, any6},
      {"[::1] and v6only [::]", loop6, only6, any6},
      {"2001:db8::1 and v6only [::]", other6, only6, any6},
      {"127.0.0.1 and 0.0.0.0", loop4, wildcard4, any4},
      {"0.0.0.0 and v6only [::]", wildcard4, only6, none},
      {"127.0.0.1 and v6only [::]", loop4, only6, none},
      {"127.0.0.1 and [::1]", loop4, loop6, none},
      {"0.0.0.0 and [::1]", wildcard4, loop6, none},
      {"127.0.0.1 and 127.0.0.2", loop4, other4, none},
      {"[::1] and 2001:db8::1", loop6, other6, none},
  };
  for (const Row& row : rows) {
    INFO(row.what);
    CHECK(bind_conflict(row.a, row.b) == row.expected);
    CHECK(bind_conflict(row.b, row.a) == row.expected);
  }
}

TEST_CASE("endpoint: equality compares address, port and v6only", "[endpoint]") {
  CHECK(endpoint("::", 8080, false) == endpoint("::", 8080, false));
  CHECK_FALSE(endpoint("::", 8080, false) == endpoint("::", 8080, true));
  CHECK_FALSE(endpoint("::", 8080, false) == endpoint("::", 8081, false));
  CHECK_FALSE(endpoint("::", 8080, false) == endpoint("::1", 8080, false));
  CHECK_FALSE(endpoint("0.0.0.0", 8080, false) == endpoint("::", 8080, false));
}

TEST_CASE("endpoint: ordering is by address, then port, then v6only", "[endpoint]") {
  // boost::asio orders IPv4 addresses before IPv6 ones.
  Endpoints endpoints{
      endpoint("::1", 80, true), endpoint("::", 80, true),         endpoint("127.0.0.1", 81, false),
      endpoint("::", 80, false), endpoint("127.0.0.1", 80, false), endpoint("0.0.0.0", 9000, false),
  };
  std::sort(endpoints.begin(), endpoints.end());
  CHECK(endpoints == Endpoints{
                         endpoint("0.0.0.0", 9000, false),
                         endpoint("127.0.0.1", 80, false),
                         endpoint("127.0.0.1", 81, false),
                         endpoint("::", 80, false),
                         endpoint("::", 80, true),
                         endpoint("::1", 80, true),
                     });
  const Endpoint e = endpoint("::", 80, false);
  CHECK_FALSE(e < e);
  CHECK(endpoint("::", 80, false) < endpoint("::", 80, true));
  CHECK_FALSE(endpoint("::", 80, true) < endpoint("::", 80, false));
  CHECK(endpoint("127.0.0.1", 65535, false) < endpoint("127.0.0.2", 1, false));
}

}  // namespace
