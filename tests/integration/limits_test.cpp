// Integration tests of the admission step: each limit of a listener (max_connections,
// max_per_source, rate_limit, allow, deny) refuses exactly the connection that crosses it and
// serves the one before; the word finder tells a refused client to retry (503); a reload that
// lowers a limit cuts no connection; and a tiny descriptor limit is survived. The real netsvcd
// binary on loopback, with clients bound to chosen addresses of 127.0.0.0/8 (all local on Linux).
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include "support/client.hpp"
#include "support/daemon_process.hpp"
#include "support/ports.hpp"
#include "support/temp_dir.hpp"
#include "version.hpp"

namespace netsvcd::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kDictionary = "a\nab\nabc\nbad\ncab\n";

// One request on `connection`, kept alive; returns the status line, after reading the whole
// answer, or "closed: " and what came if the server closed before the head was whole.
std::string exchange(Connection& connection, std::string_view path = "/abc") {
  const auto answer = http_get(connection, path);
  if (answer.text.find("\r\n\r\n") == std::string::npos) return "closed: " + answer.text;
  return answer.text.substr(0, answer.text.find("\r\n"));
}

// The whole answer to a request on a connection the server closes.
std::string refused_answer(std::string_view source, std::uint16_t port) {
  Connection connection("127.0.0.1", port, 5s, std::nullopt, source);
  connection.send("GET /abc HTTP/1.1\r\nHost: test\r\n\r\n");
  return connection.read_to_end();
}

std::string busy_answer_without_date(std::string answer) {
  const auto date = answer.find("Date: ");
  if (date != std::string::npos) answer.erase(date, answer.find("\r\n", date) + 2 - date);
  return answer;
}

const std::string kBusy =
    "HTTP/1.1 503 Service Unavailable\r\nServer: netsvcd/" + std::string(kVersion) +
    "\r\nContent-Type: application/json\r\nContent-Length: 50\r\nRetry-After: 1\r\n"
    "Connection: close\r\n\r\n{\"error\":\"too many connections: try again later\"}\n";

struct Words {
  TempDir dir;
  std::uint16_t port = free_port();
  std::filesystem::path control = dir.path() / "control";
  std::unique_ptr<DaemonProcess> daemon;

  explicit Words(std::string_view limits) {
    dir.write("words.txt", kDictionary);
    LaunchOptions options;
    options.extra_args = {"--control-socket", control.string()};
    daemon = start_netsvcd(dir, yaml(limits), options);
  }
  std::string yaml(std::string_view limits) const {
    return fmt::format(R"(threads: 2
listeners:
  - name: words
    kind: wordfinder
    listen: "127.0.0.1:{}"
    dictionary: words.txt
{}
)",
                       port, limits);
  }
  void reload(std::string_view limits) const {
    dir.write("netsvcd.yaml", yaml(limits));
    const auto result = run_netsvcd({"--reload", "--control-socket", control.string()});
    REQUIRE(result.exit_code == 0);
  }
  // Connects from `source` until one is answered 200 (a closed connection's place is given back
  // once the daemon has seen it close), within a deadline; that connection stays open.
  std::optional<Connection> served_soon(std::string_view source) const {
    const auto deadline = Clock::now() + 10s;
    while (Clock::now() < deadline) {
      std::optional<Connection> connection;
      connection.emplace("127.0.0.1", port, 5s, std::nullopt, source);
      if (exchange(*connection) == "HTTP/1.1 200 OK") return connection;
    }
    return std::nullopt;
  }
};

}  // namespace

TEST_CASE("max_per_source: the connection past it from one address gets a 503, others are served",
          "[limits]") {
  Words words("    max_per_source: 2");
  Connection first("127.0.0.1", words.port, 5s, std::nullopt, "127.0.0.1");
  Connection second("127.0.0.1", words.port, 5s, std::nullopt, "127.0.0.1");
  CHECK(exchange(first) == "HTTP/1.1 200 OK");
  CHECK(exchange(second) == "HTTP/1.1 200 OK");
  CHECK(busy_answer_without_date(refused_answer("127.0.0.1", words.port)) == kBusy);
  CHECK(words.daemon->wait_for_log("words: refused a connection from 127.0.0.1:", 10s));
  CHECK(words.daemon->count_log(": max_per_source 2 open already from 127.0.0.1; further "
                                "refusals are summed up every 10 s") == 1);
  // Another source has places of its own.
  Connection other("127.0.0.1", words.port, 5s, std::nullopt, "127.0.0.2");
  CHECK(exchange(other) == "HTTP/1.1 200 OK");
  // The held connections still work; a closed one gives its place back.
  CHECK(exchange(first) == "HTTP/1.1 200 OK");
  { Connection gone = std::move(second); }
  CHECK(words.served_soon("127.0.0.1").has_value());
}

TEST_CASE("max_connections: the connection past it gets a 503, with curl too, and recovers",
          "[limits]") {
  Words words("    max_connections: 2");
  std::vector<Connection> held;
  held.emplace_back("127.0.0.1", words.port, 5s, std::nullopt, "127.0.0.1");
  held.emplace_back("127.0.0.1", words.port, 5s, std::nullopt, "127.0.0.2");
  for (auto& connection : held)
    CHECK(exchange(connection) == "HTTP/1.1 200 OK");
  CHECK(busy_answer_without_date(refused_answer("127.0.0.3", words.port)) == kBusy);
  const auto curl = run_program(
      "/usr/bin/curl", {"--silent", "--output", "/dev/null", "--write-out", "%{http_code}",
                        "--max-time", "10", fmt::format("http://127.0.0.1:{}/abc", words.port)});
  CHECK(curl.out == "503");
  CHECK(words.daemon->wait_for_log(": max_connections 2 open already; further refusals"));
  held.pop_back();
  CHECK(words.served_soon("127.0.0.4").has_value());
}

TEST_CASE("rate_limit: a burst of N is served, the next connection closes with no bytes",
          "[limits]") {
  TempDir dir;
  const auto port = free_port();
  const auto daemon = start_netsvcd(dir, fmt::format(R"(listeners:
  - name: hello
    kind: hello
    listen: "127.0.0.1:{}"
    rate_limit: 3/m
)",
                                                     port));
  for (int i = 0; i < 3; ++i)
    CHECK(fetch("127.0.0.1", port) == "Hello World\n");
  CHECK(fetch("127.0.0.1", port).empty());
  CHECK(fetch("127.0.0.1", port).empty());
  CHECK(daemon->wait_for_log(": over rate_limit 3/m; further refusals are summed up every 10 s"));
  // The second refusal is summed up, not logged on its own: on the stop, at the latest.
  CHECK(daemon->stop() == 0);
  CHECK(daemon->count_log("hello: refused 1 more connection(s): 1 by rate_limit") == 1);
}

TEST_CASE("allow and deny: IPv4, IPv6 and IPv4-mapped clients of a dual-stack socket",
          "[limits][acl]") {
  TempDir dir;
  const auto dual = free_port();
  const auto only6 = free_port();
  const auto daemon = start_netsvcd(dir, fmt::format(R"(defaults:
  allow: ["127.0.0.0/8", "::1"]
listeners:
  - name: dual
    kind: hello
    listen: "[::]:{}"
    deny: ["127.0.0.3", "127.0.1.0/24"]
  - name: local6
    kind: hello
    listen: ["127.0.0.1:{}", "[::1]:{}"]
    allow: ["::1"]
)",
                                                     dual, only6, only6));
  const auto hello = [](std::string_view source, std::string_view address, std::uint16_t port) {
    Connection connection(address, port, 5s, std::nullopt, source);
    return connection.read_to_end();
  };
  // A mapped client (::ffff:127.0.0.2) is matched as 127.0.0.2: in allow, not in deny.
  CHECK(hello("127.0.0.2", "127.0.0.1", dual) == "Hello World\n");
  CHECK(hello("::1", "::1", dual) == "Hello World\n");
  CHECK(hello("127.0.0.3", "127.0.0.1", dual).empty());
  CHECK(hello("127.0.1.9", "127.0.0.1", dual).empty());
  CHECK(hello("127.0.0.4", "127.0.0.1", dual) == "Hello World\n");
  CHECK(daemon->wait_for_log("dual: refused a connection from [::ffff:127.0.0.3]:"));
  CHECK(daemon->count_log(": its address is in deny; further refusals") == 1);
  // The listener's own allow replaces the default's.
  CHECK(hello("::1", "::1", only6) == "Hello World\n");
  CHECK(hello("127.0.0.1", "127.0.0.1", only6).empty());
  CHECK(daemon->wait_for_log("local6: refused a connection from 127.0.0.1:"));
  CHECK(daemon->count_log(": its address is not in allow; further refusals") == 1);
}

TEST_CASE("a reload that lowers a limit cuts no connection, and new ones meet the new limit",
          "[limits][reload]") {
  Words words("    max_connections: 3");
  std::vector<Connection> held;
  for (const char* source : {"127.0.0.1", "127.0.0.2"}) {
    held.emplace_back("127.0.0.1", words.port, 5s, std::nullopt, source);
    CHECK(exchange(held.back()) == "HTTP/1.1 200 OK");
  }
  words.reload("    max_connections: 1");
  // Both still count: the next is refused; both held ones still answer.
  CHECK(busy_answer_without_date(refused_answer("127.0.0.3", words.port)) == kBusy);
  for (auto& connection : held)
    CHECK(exchange(connection) == "HTTP/1.1 200 OK");
  held.clear();
  const auto kept = words.served_soon("127.0.0.3");
  CHECK(kept);
  // And a reload that removes the limit lets everyone in again.
  words.reload("");
  Connection more("127.0.0.1", words.port, 5s, std::nullopt, "127.0.0.2");
  CHECK(exchange(more) == "HTTP/1.1 200 OK");
}

}  // namespace netsvcd::test

namespace netsvcd::test {

// Run by ctest inside a network namespace of its own (tests/CMakeLists.txt: acl.network_namespace),
// whose loopback carries documentation addresses that this test adds: real IPv4, IPv6 and
// IPv4-mapped peers from distinct networks and /64s, and no traffic anywhere but that namespace.
TEST_CASE("allow, deny and max_per_source over IPv4, IPv6 /64s and IPv4-mapped peers",
          "[.][netns]") {
  const auto own_namespace = run_program("/usr/bin/ip", {"-o", "link", "show"});
  REQUIRE(own_namespace.exit_code == 0);
  // A namespace of its own has only lo; refuse to touch a real one.
  REQUIRE(own_namespace.out.find("2: ") == std::string::npos);
  for (const auto& args : {std::vector<std::string>{"link", "set", "lo", "up"},
                           {"addr", "add", "192.0.2.1/24", "dev", "lo"},
                           {"addr", "add", "198.51.100.1/24", "dev", "lo"},
                           {"-6", "addr", "add", "2001:db8:1::1/64", "dev", "lo", "nodad"},
                           {"-6", "addr", "add", "2001:db8:1::2/64", "dev", "lo", "nodad"},
                           {"-6", "addr", "add", "2001:db8:2::1/64", "dev", "lo", "nodad"}}) {
    INFO(fmt::format("ip {}", fmt::join(args, " ")));
    REQUIRE(run_program("/usr/bin/ip", args).exit_code == 0);
  }
  TempDir dir;
  dir.write("words.txt", kDictionary);
  const auto port = free_port();
  const auto daemon = start_netsvcd(dir, fmt::format(R"(listeners:
  - name: words
    kind: wordfinder
    listen: "[::]:{}"
    dictionary: words.txt
    allow: ["192.0.2.0/24", "2001:db8:1::/64"]
    deny: ["192.0.2.66"]
    max_per_source: 1
)",
                                                     port));
  const auto status_from = [&](std::string_view source, std::string_view target) {
    Connection connection(target, port, 5s, std::nullopt, source);
    connection.send("GET /abc HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    const auto answer = connection.read_to_end();
    return answer.substr(0, answer.find("\r\n"));
  };
  // IPv4 through the dual-stack socket, as ::ffff:192.0.2.1: allowed as IPv4.
  {
    Connection held("192.0.2.1", port, 5s, std::nullopt, "192.0.2.1");
    CHECK(exchange(held) == "HTTP/1.1 200 OK");
    // The same address again is over max_per_source; another one is not.
    CHECK(status_from("192.0.2.1", "192.0.2.1") == "HTTP/1.1 503 Service Unavailable");
    CHECK(status_from("192.0.2.2", "192.0.2.1") == "HTTP/1.1 200 OK");
  }
  CHECK(status_from("192.0.2.66", "192.0.2.1").empty());    // in deny
  CHECK(status_from("198.51.100.1", "192.0.2.1").empty());  // not in allow
  {
    // Two addresses of one /64 are one source.
    Connection held("2001:db8:1::1", port, 5s, std::nullopt, "2001:db8:1::1");
    CHECK(exchange(held) == "HTTP/1.1 200 OK");
    CHECK(status_from("2001:db8:1::2", "2001:db8:1::1") == "HTTP/1.1 503 Service Unavailable");
  }
  CHECK(status_from("2001:db8:2::1", "2001:db8:1::1").empty());  // another /64: not in allow
  CHECK(daemon->wait_for_log("words: refused a connection from [::ffff:192.0.2.1]:"));
  CHECK(daemon->stop() == 0);
  CHECK(daemon->count_log("refused ") >= 1);
}

}  // namespace netsvcd::test
