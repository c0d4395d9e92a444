// Integration tests of the PROXY protocol step (proxy_protocol: true): the real netsvcd binary
// on loopback, spoken to by a raw client that plays HAProxy, sending v1 lines and v2 headers
// byte for byte. The client the header names is what the word finder's JSON, the log lines, the
// access lists and the limits see; a header from outside proxy_from, a malformed one and a late
// one each close the connection with a counted reason; what follows a header is served as sent;
// a listener without proxy_protocol is as it was.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "support/client.hpp"
#include "support/daemon_process.hpp"
#include "support/ports.hpp"
#include "support/temp_dir.hpp"
#include "version.hpp"

namespace netsvcd::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kDictionary = "a\nab\nabc\nbad\ncab\n";
const std::string kSignature{"\r\n\r\n\0\r\nQUIT\n", 12};

std::string big_endian16(std::uint16_t value) {
  return {static_cast<char>(value >> 8), static_cast<char>(value & 0xFF)};
}

std::string address_bytes(int family, const char* text) {
  std::string bytes(family == AF_INET ? 4 : 16, '\0');
  REQUIRE(::inet_pton(family, text, bytes.data()) == 1);
  return bytes;
}

// A v2 PROXY header over TCP from `client`:`port` (to 192.0.2.1:443 or 2001:db8::1:443), with
// the TLVs `tlvs`.
std::string v2_proxy(const char* client, std::uint16_t port, const std::string& tlvs = {}) {
  const bool v4 = std::string_view(client).find(':') == std::string_view::npos;
  const int family = v4 ? AF_INET : AF_INET6;
  const std::string block = address_bytes(family, client) +
                            address_bytes(family, v4 ? "192.0.2.1" : "2001:db8::1") +
                            big_endian16(port) + big_endian16(443) + tlvs;
  return kSignature + (v4 ? "\x21\x11" : "\x21\x21") +
         big_endian16(static_cast<std::uint16_t>(block.size())) + block;
}

// A v2 LOCAL header: a proxy's own health check.
const std::string kV2Local = kSignature + std::string("\x20\x00\x00\x00", 4);

std::string v1_proxy(const char* client, std::uint16_t port) {
  const bool v4 = std::string_view(client).find(':') == std::string_view::npos;
  return fmt::format("PROXY {} {} {} {} 443\r\n", v4 ? "TCP4" : "TCP6", client,
                     v4 ? "192.0.2.1" : "2001:db8::1", port);
}

// The local port of `connection`: the proxy's, as netsvcd sees it.
std::uint16_t local_port(const Connection& connection) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(connection.fd(), reinterpret_cast<sockaddr*>(&address), &length) == 0);
  return ntohs(reinterpret_cast<const sockaddr_in&>(address).sin_port);
}

std::string request(std::string_view target, std::string_view extra_headers = {}) {
  return fmt::format("GET {} HTTP/1.1\r\nHost: test\r\n{}\r\n", target, extra_headers);
}

// One whole HTTP response from `connection` (head and Content-Length body); `pending` keeps
// what came after it.
std::string read_response(Connection& connection, std::string& pending) {
  for (;;) {
    const auto head_end = pending.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      const auto length_at = pending.find("Content-Length: ");
      REQUIRE(length_at != std::string::npos);
      const auto total = head_end + 4 + std::stoul(pending.substr(length_at + 16));
      if (pending.size() >= total) {
        std::string response = pending.substr(0, total);
        pending.erase(0, total);
        return response;
      }
    }
    const std::string more = connection.read_some();
    if (more.empty()) return "closed: " + pending;
    pending += more;
  }
}

std::string body_of(const std::string& response) {
  return response.substr(response.find("\r\n\r\n") + 4);
}

// The body up to its "time", which varies; the rest must be a number and "}\n".
std::string body_before_time(const std::string& response) {
  const std::string body = body_of(response);
  const auto time = body.find(",\"time\":");
  REQUIRE(time != std::string::npos);
  CHECK(nlohmann::json::parse(body)["time"].is_number());
  CHECK(body.ends_with("}\n"));
  return body.substr(0, time);
}

// The first log line that contains `text`, once there is one, without its time: "debug hello:
// connection from ..."; empty if none comes within 10 s.
std::string log_line(const DaemonProcess& daemon, std::string_view text) {
  if (!const_cast<DaemonProcess&>(daemon).wait_for_log(text)) return {};
  const std::string err = daemon.err();
  const auto at = err.find(text);
  const auto start = err.rfind('\n', at) + 1;  // npos + 1 is 0: the first line
  const std::string line = err.substr(start, err.find('\n', at) - start);
  // "2026-11-30 20:52:08.416 debug ...": the date and the time go.
  return line.substr(line.find(' ', line.find(' ') + 1) + 1);
}

struct Proxied {
  TempDir dir;
  std::uint16_t hello = free_port();
  std::uint16_t words = free_port();
  std::uint16_t plain = free_port();
  std::unique_ptr<DaemonProcess> daemon;

  // A hello, a word finder and a plain hello listener; `hello_keys` and `words_keys` are more
  // keys of the first two.
  explicit Proxied(std::string_view hello_keys = {}, std::string_view words_keys = {}) {
    dir.write("words.txt", kDictionary);
    daemon = start_netsvcd(dir, fmt::format(R"(threads: 2
listeners:
  - name: hello
    kind: hello
    listen: "127.0.0.1:{}"
    proxy_protocol: true
    proxy_from: ["127.0.0.1", "::1"]
{}
  - name: words
    kind: wordfinder
    listen: ["127.0.0.1:{}", "[::1]:{}"]
    dictionary: words.txt
    proxy_protocol: true
    proxy_from: ["127.0.0.0/8", "::1"]
{}
  - name: plain
    kind: hello
    listen: "127.0.0.1:{}"
)",
                                            hello, hello_keys, words, words, words_keys, plain));
  }
};

}  // namespace

TEST_CASE("proxy protocol: hello answers after a v1 or v2 header, and logs the client it names",
          "[proxy_protocol]") {
  Proxied server;
  CHECK(server.daemon->count_log(fmt::format(
            "listener hello (hello) listening on 127.0.0.1:{}; PROXY protocol header from "
            "127.0.0.1/32, ::1/128",
            server.hello)) == 1);
  {
    Connection proxy("127.0.0.1", server.hello);
    proxy.send(v1_proxy("203.0.113.7", 5555));
    CHECK(proxy.read_to_end() == "Hello World\n");
    CHECK(server.daemon->wait_for_log(fmt::format(
        "hello: connection from 203.0.113.7:5555 via 127.0.0.1:{}", local_port(proxy))));
  }
  {
    Connection proxy("127.0.0.1", server.hello);
    proxy.send(v2_proxy("2001:db8::7", 6666));
    CHECK(proxy.read_to_end() == "Hello World\n");
    CHECK(server.daemon->wait_for_log(fmt::format(
        "hello: connection from [2001:db8::7]:6666 via 127.0.0.1:{}", local_port(proxy))));
  }
  // A LOCAL header (HAProxy's health check) and UNKNOWN name no client: the proxy stands.
  for (const std::string& header : {kV2Local, std::string("PROXY UNKNOWN\r\n")}) {
    Connection proxy("127.0.0.1", server.hello);
    proxy.send(header);
    CHECK(proxy.read_to_end() == "Hello World\n");
    const auto line = fmt::format("hello: connection from 127.0.0.1:{}", local_port(proxy));
    CHECK(log_line(*server.daemon, line) == "debug " + line);
  }
}

TEST_CASE("proxy protocol: a header that comes in pieces is waited for on the connection's thread",
          "[proxy_protocol]") {
  Proxied server;
  const auto baseline = server.daemon->open_files();
  Connection proxy("127.0.0.1", server.hello);
  const std::string header = v2_proxy("198.51.100.9", 4444);
  proxy.send(header.substr(0, 10));
  // Accepted, with only part of its header: the rest is waited for.
  REQUIRE(server.daemon->wait_open_files_at_least(baseline + 1));
  // Another client is served meanwhile: nothing blocks the thread.
  Connection other("127.0.0.1", server.hello);
  other.send(v1_proxy("203.0.113.8", 8888));
  CHECK(other.read_to_end() == "Hello World\n");
  proxy.send(header.substr(10));
  CHECK(proxy.read_to_end() == "Hello World\n");
  CHECK(server.daemon->wait_for_log(
      fmt::format("hello: connection from 198.51.100.9:4444 via 127.0.0.1:{}", local_port(proxy))));
}

TEST_CASE(
    "proxy protocol: a connection waiting for its header when a reload replaces its "
    "listener is served as that listener would have",
    "[proxy_protocol][reload]") {
  TempDir dir;
  const auto port = free_port();
  const auto config = [&](std::string_view message) {
    return fmt::format(R"(listeners:
  - name: hello
    kind: hello
    listen: "127.0.0.1:{}"
    message: "{}"
    proxy_protocol: true
    proxy_from: ["127.0.0.1"]
)",
                       port, message);
  };
  const auto daemon = start_netsvcd(dir, config("before"));
  const auto baseline = daemon->open_files();
  Connection waiting("127.0.0.1", port);
  waiting.send("PROXY TCP4 203.0.113.7 ");
  REQUIRE(daemon->wait_open_files_at_least(baseline + 1));
  dir.write("netsvcd.yaml", config("after"));
  daemon->signal(SIGHUP);
  REQUIRE(daemon->wait_for_log("reloaded "));
  // New connections meet the new listener; the waiting one keeps the one it came to.
  Connection fresh("127.0.0.1", port);
  fresh.send(v1_proxy("198.51.100.7", 7777));
  CHECK(fresh.read_to_end() == "after\n");
  waiting.send("192.0.2.1 5555 443\r\n");
  CHECK(waiting.read_to_end() == "before\n");
  CHECK(daemon->wait_for_log(fmt::format("hello: connection from 203.0.113.7:5555 via 127.0.0.1:{}",
                                         local_port(waiting))));
}

TEST_CASE(
    "proxy protocol: the word finder's JSON shows the client, and the request sent with "
    "the header is served",
    "[proxy_protocol][wordfinder]") {
  Proxied server;
  const std::string shared =
      R"("count":3,"min_length":2,"possibilities":["abc","cab","ab"],"rack":"abc")";
  {
    // Header and request in one write, as HAProxy sends them.
    Connection proxy("127.0.0.1", server.words);
    proxy.send(v1_proxy("203.0.113.7", 5555) + request("/abc"));
    std::string pending;
    const auto answer = read_response(proxy, pending);
    CHECK(answer.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(body_before_time(answer) == R"({"cached":false,"client":"203.0.113.7",)" + shared);
    // The connection stays open for the same client's next request.
    proxy.send(request("/cab"));
    CHECK(body_before_time(read_response(proxy, pending)) ==
          R"({"cached":true,"client":"203.0.113.7",)" + shared);
    CHECK(server.daemon->wait_for_log(
        fmt::format("words: 203.0.113.7:5555 via 127.0.0.1:{}: GET /cab 200", local_port(proxy))));
  }
  {
    // v2 with TLVs (ALPN, an authority, a NOOP), from the proxy's IPv6 address.
    const std::string tlvs = std::string("\x01\x00\x08http/1.1", 11) +
                             std::string("\x02\x00\x0dwords.example", 16) +
                             std::string("\x04\x00\x00", 3);
    Connection proxy("::1", server.words);
    proxy.send(v2_proxy("2001:db8::7", 6666, tlvs) + request("/bca", "Connection: close\r\n"));
    const auto answer = proxy.read_to_end();
    CHECK(answer.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(body_before_time(answer) == R"({"cached":true,"client":"2001:db8::7",)" + shared);
    CHECK(server.daemon->wait_for_log("words: connection from [2001:db8::7]:6666 via [::1]:"));
  }
  {
    // A LOCAL header: the proxy's own address.
    Connection proxy("127.0.0.1", server.words);
    proxy.send(kV2Local + request("/abc", "Connection: close\r\n"));
    CHECK(body_before_time(proxy.read_to_end()) ==
          R"({"cached":true,"client":"127.0.0.1",)" + shared);
  }
}

TEST_CASE("proxy protocol: a connection from outside proxy_from is refused before any byte",
          "[proxy_protocol][refusals]") {
  Proxied server;
  // 127.0.0.2 is not in hello's proxy_from; its header is never read.
  Connection stranger("127.0.0.1", server.hello, 5s, std::nullopt, "127.0.0.2");
  stranger.send(v1_proxy("203.0.113.7", 5555));
  CHECK(stranger.read_to_end().empty());
  CHECK(server.daemon->wait_for_log(fmt::format(
      "hello: refused a connection from 127.0.0.2:{}: its address is not in proxy_from, so it "
      "may not send a PROXY header; further refusals are summed up every 10 s",
      local_port(stranger))));
  Connection again("127.0.0.1", server.hello, 5s, std::nullopt, "127.0.0.2");
  CHECK(again.read_to_end().empty());
  // The word finder's proxy_from has 127.0.0.0/8: 127.0.0.2 may send a header there.
  Connection trusted("127.0.0.1", server.words, 5s, std::nullopt, "127.0.0.2");
  trusted.send(v1_proxy("203.0.113.7", 5555) + request("/abc", "Connection: close\r\n"));
  CHECK(trusted.read_to_end().starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(server.daemon->stop() == 0);
  CHECK(server.daemon->count_log("hello: refused 1 more connection(s): 1 by proxy_untrusted") == 1);
}

TEST_CASE("proxy protocol: a malformed header closes the connection, counted with its reason",
          "[proxy_protocol][refusals]") {
  Proxied server;
  // An HTTP request where the header should be: not served, answered with nothing.
  Connection junk("127.0.0.1", server.words);
  junk.send(request("/abc"));
  CHECK(junk.read_to_end().empty());
  CHECK(server.daemon->wait_for_log(fmt::format(
      "words: refused a connection from 127.0.0.1:{}: malformed PROXY header (does not start "
      "with \"PROXY \" (v1) or the v2 signature); further refusals are summed up every 10 s",
      local_port(junk))));
  // A v2 header of another version; for hello, a cut header, then a v1 line without CRLF
  // within 107 bytes.
  Connection version("127.0.0.1", server.words);
  std::string header = v2_proxy("203.0.113.7", 5555);
  header[12] = '\x31';
  version.send(header + request("/abc"));
  CHECK(version.read_to_end().empty());
  // A proxy that closes after part of a header.
  std::uint16_t cut_port = 0;
  {
    Connection cut("127.0.0.1", server.hello);
    cut.send("PROXY TCP4 203.0.");
    cut_port = local_port(cut);
  }
  CHECK(server.daemon->wait_for_log(fmt::format(
      "hello: refused a connection from 127.0.0.1:{}: malformed PROXY header (the connection "
      "ended inside its PROXY header); further refusals are summed up every 10 s",
      cut_port)));
  Connection endless("127.0.0.1", server.hello);
  endless.send("PROXY UNKNOWN " + std::string(100, 'x'));
  CHECK(endless.read_to_end().empty());
  CHECK(server.daemon->stop() == 0);
  CHECK(server.daemon->count_log("words: refused 1 more connection(s): 1 by proxy_malformed") == 1);
  CHECK(server.daemon->count_log("hello: refused 1 more connection(s): 1 by proxy_malformed") == 1);
}

TEST_CASE(
    "proxy protocol: a header not whole within request_timeout, or 5 s, closes the "
    "connection",
    "[proxy_protocol][refusals][slow]") {
  Proxied server({}, "    request_timeout: 300ms");
  const auto started = Clock::now();
  Connection slow_hello("127.0.0.1", server.hello);
  Connection slow_words("127.0.0.1", server.words);
  slow_words.send("PROXY TCP4 203.0.113.7");  // and never the rest
  CHECK(slow_words.read_to_end(5s).empty());
  const auto words_waited = Clock::now() - started;
  CHECK(words_waited >= 290ms);  // the deadlines' clock ticks every few ms
  CHECK(words_waited < 4s);
  CHECK(server.daemon->wait_for_log(fmt::format(
      "words: refused a connection from 127.0.0.1:{}: no whole PROXY header in time (waited "
      "300ms); further refusals are summed up every 10 s",
      local_port(slow_words))));
  // hello has no request_timeout: 5 s, as the spec's "at least 3 s" asks.
  slow_hello.send(v2_proxy("203.0.113.7", 5555).substr(0, 15));
  CHECK(slow_hello.read_to_end(10s).empty());
  CHECK(Clock::now() - started >= 4900ms);
  CHECK(server.daemon->wait_for_log(fmt::format(
      "hello: refused a connection from 127.0.0.1:{}: no whole PROXY header in time (waited 5s)",
      local_port(slow_hello))));
}

TEST_CASE("proxy protocol: access lists and limits see the client the header names",
          "[proxy_protocol][limits]") {
  Proxied server("    deny: [\"203.0.113.0/24\"]", "    max_per_source: 1");
  // Every connection comes from 127.0.0.1; only the header tells the clients apart.
  Connection denied("127.0.0.1", server.hello);
  denied.send(v1_proxy("203.0.113.7", 5555));
  CHECK(denied.read_to_end().empty());
  CHECK(server.daemon->wait_for_log(fmt::format(
      "hello: refused a connection from 203.0.113.7:5555 via 127.0.0.1:{}: its address is in "
      "deny; further refusals are summed up every 10 s",
      local_port(denied))));
  Connection allowed("127.0.0.1", server.hello);
  allowed.send(v1_proxy("198.51.100.7", 5555));
  CHECK(allowed.read_to_end() == "Hello World\n");

  Connection first("127.0.0.1", server.words);
  std::string pending;
  first.send(v2_proxy("198.51.100.7", 1000) + request("/abc"));
  CHECK(read_response(first, pending).starts_with("HTTP/1.1 200 OK\r\n"));
  // The same client again, through the same proxy: over max_per_source, told to retry.
  Connection second("127.0.0.1", server.words);
  second.send(v2_proxy("198.51.100.7", 1001) + request("/abc"));
  CHECK(second.read_to_end().starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
  CHECK(server.daemon->wait_for_log(
      "words: refused a connection from 198.51.100.7:1001 via 127.0.0.1:"));
  CHECK(server.daemon->count_log(": max_per_source 1 open already from 198.51.100.7;") == 1);
  // Another client through the same proxy has a place of its own.
  Connection third("127.0.0.1", server.words);
  third.send(v2_proxy("198.51.100.8", 1002) + request("/abc", "Connection: close\r\n"));
  CHECK(third.read_to_end().starts_with("HTTP/1.1 200 OK\r\n"));
}

TEST_CASE("proxy protocol: a listener without it is unchanged, a PROXY line just bytes to it",
          "[proxy_protocol]") {
  Proxied server;
  const auto listening =
      fmt::format("listener plain (hello) listening on 127.0.0.1:{}", server.plain);
  CHECK(log_line(*server.daemon, listening) == "info " + listening);
  // hello answers at once, without waiting for anything.
  Connection plain("127.0.0.1", server.plain);
  CHECK(plain.read_to_end() == "Hello World\n");
  const auto line = fmt::format("plain: connection from 127.0.0.1:{}", local_port(plain));
  CHECK(log_line(*server.daemon, line) == "debug " + line);
  // A header sent anyway does not change who the client is.
  Connection header("127.0.0.1", server.plain);
  header.send(v1_proxy("203.0.113.7", 5555));
  CHECK(header.read_to_end() == "Hello World\n");
  CHECK(server.daemon->count_log("plain: connection from 203.0.113.7") == 0);
}

}  // namespace netsvcd::test
