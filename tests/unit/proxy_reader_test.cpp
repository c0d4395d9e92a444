// Unit tests for daemon/connection/proxy_reader.*: the PROXY step's I/O over a socketpair and an
// io_context run here. A header is taken from the socket to its last byte and not one further;
// one that comes in pieces is waited for; a late one, one that ends early, and a connection
// that closes before any byte each end as they should; and who may send one at all.
#include <sys/socket.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "asio.hpp"
#include "config/cidr.hpp"
#include "connection/proxy_reader.hpp"
#include "unique_fd.hpp"

namespace {

using namespace std::chrono_literals;
using netsvcd::UniqueFd;
using netsvcd::connection::Peer;
using netsvcd::connection::ProxyProtocol;
using netsvcd::connection::ProxyReader;
using Step = ProxyReader::Step;
namespace asio = boost::asio;

const Peer kProxy{asio::ip::make_address("127.0.0.1"), 40000};

// Both ends of a connected stream socketpair, non-blocking: `server` as accept4 gives it.
struct Pair {
  UniqueFd server;
  UniqueFd client;
  Pair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
    server.reset(fds[0]);
    client.reset(fds[1]);
  }
  void send(std::string_view bytes) const {
    REQUIRE(::send(client.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(bytes.size()));
  }
  // What the server's end still holds, once the client's end is shut.
  std::string rest() const {
    ::shutdown(client.get(), SHUT_WR);
    std::string out;
    char buffer[4096];
    for (ssize_t got; (got = ::recv(server.get(), buffer, sizeof buffer, MSG_DONTWAIT)) > 0;)
      out.append(buffer, static_cast<std::size_t>(got));
    return out;
  }
};

// Runs reader.wait() on `context` for `pair`, until it ends or 10 s pass; `meanwhile` runs once
// the wait has begun.
template <typename Meanwhile>
std::optional<Step> wait(ProxyReader& reader, Pair& pair, std::chrono::milliseconds timeout,
                         Meanwhile meanwhile) {
  asio::io_context context;
  std::optional<Step> result;
  asio::co_spawn(context, reader.wait(pair.server, context, timeout),
                 [&](const std::exception_ptr& error, Step step) {
                   REQUIRE_FALSE(error);
                   result = step;
                 });
  context.poll();
  meanwhile();
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (!result && std::chrono::steady_clock::now() < give_up)
    context.run_one_for(100ms);
  return result;
}

}  // namespace

TEST_CASE("proxy reader: a header that is there is read at once, and nothing after it",
          "[proxy][reader]") {
  Pair pair;
  pair.send("PROXY TCP4 203.0.113.7 192.0.2.1 5555 443\r\nGET / HTTP/1.1\r\n\r\n");
  ProxyReader reader(kProxy);
  REQUIRE(reader.read_now(pair.server.get()) == Step::done);
  CHECK(reader.peer().describe() == "203.0.113.7:5555 via 127.0.0.1:40000");
  CHECK(pair.rest() == "GET / HTTP/1.1\r\n\r\n");
}

TEST_CASE("proxy reader: a header that names no client leaves the proxy as the peer",
          "[proxy][reader]") {
  Pair pair;
  pair.send(std::string("\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00", 16) + "rest");
  ProxyReader reader(kProxy);
  REQUIRE(reader.read_now(pair.server.get()) == Step::done);
  CHECK(reader.peer().describe() == "127.0.0.1:40000");
  CHECK_FALSE(reader.peer().via);
  CHECK(pair.rest() == "rest");
}

TEST_CASE("proxy reader: a header in pieces is waited for, without taking what follows it",
          "[proxy][reader]") {
  Pair pair;
  ProxyReader reader(kProxy);
  CHECK(reader.read_now(pair.server.get()) == Step::more);  // nothing yet
  pair.send("PROXY TCP6 2001:db8::7 ");
  CHECK(reader.read_now(pair.server.get()) == Step::more);
  const auto step = wait(reader, pair, 10s, [&] { pair.send("2001:db8::1 5555 443\r\nhello"); });
  REQUIRE(step == Step::done);
  CHECK(reader.peer().describe() == "[2001:db8::7]:5555 via 127.0.0.1:40000");
  // The descriptor is handed back, still open, with the bytes after the header.
  REQUIRE(pair.server);
  CHECK(pair.rest() == "hello");
}

TEST_CASE("proxy reader: a header not whole within the timeout is late", "[proxy][reader]") {
  Pair pair;
  ProxyReader reader(kProxy);
  pair.send("PROXY TCP4 203.0.113.7");
  CHECK(reader.read_now(pair.server.get()) == Step::more);
  const auto started = std::chrono::steady_clock::now();
  CHECK(wait(reader, pair, 50ms, [] {}) == Step::late);
  const auto waited = std::chrono::steady_clock::now() - started;
  CHECK(waited >= 50ms);
  CHECK(waited < 5s);
  CHECK(pair.server);
}

TEST_CASE("proxy reader: a connection that ends inside a header, or before it, or sends junk",
          "[proxy][reader][errors]") {
  {
    Pair pair;
    ProxyReader reader(kProxy);
    pair.send("PROXY TCP4 203.0.113.7");
    CHECK(reader.read_now(pair.server.get()) == Step::more);
    CHECK(wait(reader, pair, 10s, [&] { ::shutdown(pair.client.get(), SHUT_WR); }) ==
          Step::malformed);
    CHECK(reader.why() == "the connection ended inside its PROXY header");
  }
  {
    Pair pair;
    ProxyReader reader(kProxy);
    CHECK(wait(reader, pair, 10s, [&] { pair.client.reset(); }) == Step::closed);
  }
  {
    Pair pair;
    ProxyReader reader(kProxy);
    pair.send("GET / HTTP/1.1\r\n\r\n");
    CHECK(reader.read_now(pair.server.get()) == Step::malformed);
    CHECK(reader.why() == "does not start with \"PROXY \" (v1) or the v2 signature");
    // Nothing was taken from the socket.
    CHECK(pair.rest() == "GET / HTTP/1.1\r\n\r\n");
  }
}

TEST_CASE("proxy protocol: only the proxies in proxy_from may send a header", "[proxy][reader]") {
  const auto network = [](const char* text) {
    return std::get<netsvcd::config::Cidr>(netsvcd::config::parse_cidr(text));
  };
  const ProxyProtocol proxy{{network("127.0.0.1"), network("10.0.0.0/8"), network("::1")}};
  CHECK(proxy.timeout == 5s);
  CHECK(proxy.trusts(asio::ip::make_address("127.0.0.1")));
  CHECK(proxy.trusts(asio::ip::make_address("::ffff:10.1.2.3")));  // a dual-stack socket's
  CHECK(proxy.trusts(asio::ip::make_address("::1")));
  CHECK_FALSE(proxy.trusts(asio::ip::make_address("127.0.0.2")));
  CHECK_FALSE(proxy.trusts(asio::ip::make_address("2001:db8::1")));
  CHECK_FALSE(ProxyProtocol{}.trusts(asio::ip::make_address("127.0.0.1")));
}
