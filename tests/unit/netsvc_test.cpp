// Unit tests of netsvc's pure parts: HOST:PORT and URL parsing, redirects' Location, the file
// name a download gets, RFC 868 decoding, Happy Eyeballs' address order, the words views.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "netsvc/connector.hpp"
#include "netsvc/host_port.hpp"
#include "netsvc/progress.hpp"
#include "netsvc/rfc868.hpp"
#include "netsvc/url.hpp"
#include "netsvc/words_view.hpp"
#include "unique_fd.hpp"

namespace netsvc {
namespace {

std::string parsed(std::string_view text) {
  const auto result = parse_host_port(text, 7);
  return result ? result->host + " " + std::to_string(result->port) : "error";
}

std::vector<std::string> addresses(const std::vector<Endpoint>& endpoints) {
  std::vector<std::string> out;
  for (const auto& endpoint : endpoints)
    out.push_back(endpoint.address());
  return out;
}

std::vector<Endpoint> endpoints(std::initializer_list<std::string_view> texts,
                                std::uint16_t port = 80) {
  std::vector<Endpoint> out;
  for (const auto text : texts)
    out.push_back(*Endpoint::numeric(text, port));
  return out;
}

std::string location(std::string_view base, std::string_view where) {
  const auto resolved = resolve_location(*parse_url(base), where);
  return resolved ? resolved->to_string() : "error: " + resolved.failure().message;
}

// A listening socket on `address` at a port the kernel picks, with the given backlog.
UniqueFd listening(const Endpoint& address, int backlog, std::uint16_t& port) {
  UniqueFd fd(::socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(static_cast<bool>(fd));
  REQUIRE(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address.storage), address.length) ==
          0);
  REQUIRE(::listen(fd.get(), backlog) == 0);
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &length);
  port = ntohs(address.family() == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return fd;
}

// An address whose connects hang: a listener with a backlog of 0 that never accepts, its queue
// already full with one connection, so the kernel drops further SYNs (the client retransmits).
struct Blackhole {
  std::uint16_t port = 0;
  UniqueFd listener;
  UniqueFd queued;

  Blackhole() {
    listener = listening(*Endpoint::numeric("::1", 0), 0, port);
    const auto address = *Endpoint::numeric("::1", port);
    queued = UniqueFd(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(::connect(queued.get(), reinterpret_cast<const sockaddr*>(&address.storage),
                      address.length) == 0);
  }
};

}  // namespace

TEST_CASE("HOST[:PORT] takes names, IPv4, [IPv6]:PORT and bare IPv6", "[netsvc]") {
  CHECK(parsed("example.org") == "example.org 7");
  CHECK(parsed("example.org:8080") == "example.org 8080");
  CHECK(parsed("127.0.0.1:1") == "127.0.0.1 1");
  CHECK(parsed("[::1]:65535") == "::1 65535");
  CHECK(parsed("[::1]") == "::1 7");
  CHECK(parsed("::1") == "::1 7");
  CHECK(parsed("fe80::1:2") == "fe80::1:2 7");
  for (const auto bad : {"", ":80", "host:", "host:0", "host:65536", "host:8o", "[::1", "[::1]x",
                         "[]:80", "a b:80", "host:-1"}) {
    INFO(bad);
    const auto result = parse_host_port(bad, 7);
    REQUIRE_FALSE(result);
    CHECK(result.failure().exit_code == kExitUsage);
  }
  CHECK(parse_host_port("host:99999", 7).failure().message ==
        "bad HOST[:PORT] \"host:99999\": bad port \"99999\" (expected 1-65535)");
  CHECK(HostPort{"::1", 80}.to_string() == "[::1]:80");
  CHECK(HostPort{"a.b", 80}.to_string() == "a.b:80");
}

TEST_CASE("URLs: http:// only, with default port, path and query", "[netsvc]") {
  auto url = parse_url("http://Example.org");
  REQUIRE(url);
  CHECK(url->authority.host == "Example.org");
  CHECK(url->authority.port == 80);
  CHECK(url->target == "/");
  CHECK(url->host_header() == "Example.org");
  url = parse_url("HTTP://[::1]:8081/a/b?c=d#frag");
  REQUIRE(url);
  CHECK(url->authority.host == "::1");
  CHECK(url->authority.port == 8081);
  CHECK(url->target == "/a/b?c=d");
  CHECK(url->host_header() == "[::1]:8081");
  CHECK(url->to_string() == "http://[::1]:8081/a/b?c=d");
  CHECK(parse_url("http://h?q")->target == "/?q");

  const auto https = parse_url("https://example.org/");
  REQUIRE_FALSE(https);
  CHECK(https.failure().exit_code == kExitUsage);
  CHECK(https.failure().message == "https:// is not supported (netsvc speaks plain HTTP only)");
  CHECK(parse_url("ftp://example.org/").failure().exit_code == kExitUsage);
  CHECK(parse_url("http:///path").failure().exit_code == kExitUsage);
  CHECK(parse_url("http://h:0/").failure().exit_code == kExitUsage);
  CHECK(parse_url("http://user@h/").failure().exit_code == kExitUsage);
}

TEST_CASE("a redirect's Location resolves against the URL it came from", "[netsvc]") {
  const std::string base = "http://h:81/a/b/c?q=1";
  CHECK(location(base, "http://other/x") == "http://other/x");
  CHECK(location(base, "//other:82/x") == "http://other:82/x");
  CHECK(location(base, "/x/y?z") == "http://h:81/x/y?z");
  CHECK(location(base, "d") == "http://h:81/a/b/d");
  CHECK(location(base, "d/") == "http://h:81/a/b/d/");
  CHECK(location(base, "../d") == "http://h:81/a/d");
  CHECK(location(base, "../../../../d") == "http://h:81/d");
  CHECK(location(base, "./") == "http://h:81/a/b/");
  CHECK(location(base, "..") == "http://h:81/a/");
  CHECK(location(base, "?r=2") == "http://h:81/a/b/c?r=2");
  CHECK(location(base, "/x#frag") == "http://h:81/x");
  CHECK(location(base, "https://h/") ==
        "error: Location \"https://h/\": https:// is not supported (netsvc speaks plain HTTP "
        "only)");
}

TEST_CASE("a download is named after the URL path's last segment", "[netsvc]") {
  const auto name = [](std::string_view url) { return output_name(*parse_url(url)); };
  CHECK(name("http://h/big.bin") == "big.bin");
  CHECK(name("http://h/dir/file.tar.gz?x=1") == "file.tar.gz");
  CHECK(name("http://h/dir/") == "index.html");
  CHECK(name("http://h") == "index.html");
  CHECK(name("http://h/?q") == "index.html");
  CHECK(name("http://h/a%20b") == "a b");
  CHECK(name("http://h/a%2Fb") == "index.html");
  CHECK(name("http://h/%2e%2e") == "index.html");
}

TEST_CASE("RFC 868's four bytes are seconds since 1900 in UTC", "[netsvc]") {
  using namespace std::chrono;
  // 1970-01-01 00:00:00 is 2208988800 = 0x83AA7E80.
  CHECK(format_utc(*decode_rfc868(std::string("\x83\xAA\x7E\x80", 4))) ==
        "1970-01-01 00:00:00 UTC");
  // 2026-12-01 02:05:00 UTC is 1796090700 after 1970.
  const std::int64_t value = 1796090700 + kSecondsFrom1900To1970;
  std::string bytes;
  for (int shift = 24; shift >= 0; shift -= 8)
    bytes += static_cast<char>((value >> shift) & 0xFF);
  CHECK(format_utc(*decode_rfc868(bytes)) == "2026-12-01 02:05:00 UTC");
  // After the 2036 wrap, small values are the next era.
  CHECK(format_utc(*decode_rfc868(std::string("\0\0\0\0", 4))) == "2036-02-07 06:28:16 UTC");
  CHECK(decode_rfc868("abc").failure().exit_code == kExitProtocol);
  CHECK(decode_rfc868("abcde").failure().message == "expected RFC 868's 4 bytes, got 5");
}

TEST_CASE("Happy Eyeballs interleaves the families, the first address's first", "[netsvc]") {
  CHECK(addresses(interleave_families(endpoints({"::1", "::2", "::3", "10.0.0.1", "10.0.0.2"}))) ==
        std::vector<std::string>{"::1", "10.0.0.1", "::2", "10.0.0.2", "::3"});
  CHECK(addresses(interleave_families(endpoints({"10.0.0.1", "10.0.0.2", "::1", "::2"}))) ==
        std::vector<std::string>{"10.0.0.1", "::1", "10.0.0.2", "::2"});
  CHECK(addresses(interleave_families(endpoints({"::1", "10.0.0.1", "10.0.0.2", "10.0.0.3"}))) ==
        std::vector<std::string>{"::1", "10.0.0.1", "10.0.0.2", "10.0.0.3"});
  CHECK(addresses(interleave_families(endpoints({"10.0.0.1"}))) ==
        std::vector<std::string>{"10.0.0.1"});
  CHECK(interleave_families({}).empty());
}

TEST_CASE("connect_first reports every address's error when all refuse", "[netsvc]") {
  // Port 1 on loopback: nothing listens there on a test machine, so both are refused at once.
  const auto refused = connect_first(endpoints({"::1", "127.0.0.1"}, 1), {});
  REQUIRE_FALSE(refused);
  CHECK(refused.failure().exit_code == kExitUnavailable);
  CHECK_THAT(refused.failure().message,
             Catch::Matches("cannot connect: .+ \\(\\[::1\\]:1\\); .+ \\(127\\.0\\.0\\.1:1\\)"));
}

TEST_CASE("connect_first starts the next address 250 ms after one that hangs", "[netsvc]") {
  using namespace std::chrono;
  Blackhole blackhole;
  std::uint16_t port = 0;
  const auto listener = listening(*Endpoint::numeric("127.0.0.1", 0), 16, port);
  const std::vector<Endpoint> order{*Endpoint::numeric("::1", blackhole.port),
                                    *Endpoint::numeric("127.0.0.1", port)};
  const auto start = steady_clock::now();
  auto stream = connect_first(order, {.attempt_timeout = 5s});
  const auto elapsed = steady_clock::now() - start;
  REQUIRE(stream);
  CHECK(stream->peer() == "127.0.0.1:" + std::to_string(port));
  // Not before the stagger, and long before the hanging attempt's own timeout.
  CHECK(elapsed >= 250ms);
  CHECK(elapsed < 2s);

  const auto timed_out = connect_first({order.front()}, {.attempt_timeout = 300ms});
  REQUIRE_FALSE(timed_out);
  CHECK(timed_out.failure().exit_code == kExitUnavailable);
  CHECK(timed_out.failure().message ==
        "cannot connect: timed out after 300 ms ([::1]:" + std::to_string(blackhole.port) + ")");
}

TEST_CASE("words: the rack's path, the answer, and its two views", "[netsvc]") {
  CHECK(words_target({"retain?", std::nullopt, std::nullopt}) == "/retain_");
  CHECK(words_target({"ab c", 3u, std::nullopt}) == "/ab_c?min_length=3");
  CHECK(words_target({"abc1/", std::nullopt, "score"}) == "/abc%31%2F?sort=score&details=1");
  CHECK(words_target({"abc", 2u, "length"}) == "/abc?min_length=2&sort=length");

  const auto entries = parse_words_answer(
      R"({"count":3,"possibilities":["stair","sat","at"],"details":[{"word":"stair","score":5,"blanks":"s"},{"word":"sat","score":3,"blanks":""},{"word":"at","score":2,"blanks":""}]})",
      true);
  REQUIRE(entries);
  CHECK(render_lines(*entries) == "stair 5\nsat 3\nat 2\n");
  CHECK(render_lines(*parse_words_answer(R"({"possibilities":["ab","ba"]})", false)) == "ab\nba\n");
  CHECK(parse_words_answer("not json", false).failure().exit_code == kExitProtocol);
  CHECK(parse_words_answer(R"({"possibilities":[1]})", false).failure().exit_code == kExitProtocol);
  CHECK(parse_words_answer(R"({"possibilities":["ab"]})", true).failure().exit_code ==
        kExitProtocol);
  CHECK(error_message(R"({"error":"bad rack \"a1\""})") == "bad rack \"a1\"");
  CHECK(error_message("plain text\n") == "plain text");

  std::vector<WordEntry> words;
  for (const auto* word : {"relax", "laxer", "axle", "lax", "ale", "are", "ear", "era", "ax"})
    words.push_back({word, std::nullopt});
  CHECK(render_columns(words, 20) ==
        "5 letters (2)\n"
        "  relax  laxer\n"
        "\n"
        "4 letters (1)\n"
        "  axle\n"
        "\n"
        "3 letters (5)\n"
        "  lax  are  era\n"
        "  ale  ear\n"
        "\n"
        "2 letters (1)\n"
        "  ax\n");
  CHECK(render_columns({{"stair", 5}, {"sat", 3}}, 80) ==
        "5 letters (1)\n  stair 5\n\n3 letters (1)\n  sat 3\n");
}

TEST_CASE("the progress line fits its width", "[netsvc]") {
  CHECK(progress_line(512 * 1024, std::nullopt, 80) == "0.5 MiB");
  const auto half = progress_line(1536 * 1024, 3 * 1024 * 1024, 60);
  CHECK(half.size() == 60);
  CHECK(half.ends_with("]  50%  1.5 MiB / 3.0 MiB"));
  CHECK(half.starts_with("[################"));
}

}  // namespace netsvc
