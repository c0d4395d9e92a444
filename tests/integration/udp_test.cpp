// Integration tests of datagram listeners: the real netsvcd binary answering hello and time over
// UDP on loopback, its reflection guard and rate limits, rdate as a real client, and the config
// errors of kinds that cannot serve UDP.
#include <fmt/format.h>

#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "support/client.hpp"
#include "support/daemon_process.hpp"
#include "support/ports.hpp"
#include "support/temp_dir.hpp"
#include "support/tools.hpp"
#include "support/udp_client.hpp"

namespace netsvcd::test {
namespace {

std::time_t now() {
  return std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
}

// An answer to `payload` sent from `client` to address:port, which must come from address:port.
std::string ask(UdpClient& client, const std::string& address, std::uint16_t port,
                std::string_view payload = "") {
  client.send(payload, address, port);
  const auto answer = client.receive();
  REQUIRE(answer);
  CHECK(answer->from_address == address);
  CHECK(answer->from_port == port);
  return answer->payload;
}

// Whether `client` got no answer to what it sent before `witness` sent its own: the listener
// answers one socket's datagrams in the order they came, so once the witness's answer is here
// any answer to the earlier datagram would be too. No waiting for an absence.
bool nothing_before(UdpClient& client, UdpClient& witness, const std::string& address,
                    std::uint16_t port) {
  witness.send("", address, port);
  REQUIRE(witness.receive());
  return !client.waiting();
}

}  // namespace

TEST_CASE("hello and time answer each datagram with one datagram, from the address asked",
          "[udp]") {
  TempDir dir;
  const auto hello = free_port();
  const auto daytime = free_port();
  const auto rfc3339 = free_port();
  const auto rfc868 = free_port();
  const auto daemon = start_netsvcd(dir, fmt::format(R"(defaults:
  udp_rate_per_source: 1000/s
listeners:
  - name: hello
    kind: hello
    listen: ["udp://127.0.0.1:{0}", "udp://[::1]:{0}", "127.0.0.1:{0}"]
  - name: daytime
    kind: time
    listen: ["udp://127.0.0.1:{1}", "udp://[::1]:{1}"]
  - name: stamp
    kind: time
    format: rfc3339
    listen: "udp://[::]:{2}"
  - name: time
    kind: time
    format: rfc868
    listen: ["tcp://127.0.0.1:{3}", "udp://127.0.0.1:{3}"]
)",
                                                     hello, daytime, rfc3339, rfc868));
  CHECK(daemon->count_log(fmt::format("listening on udp://127.0.0.1:{0}, udp://[::1]:{0}, "
                                      "127.0.0.1:{0}",
                                      hello)) == 1);
  for (const std::string address : {"127.0.0.1", "::1"}) {
    INFO(address);
    UdpClient client(address);
    // What the request holds does not matter: an empty datagram, or a line.
    CHECK(ask(client, address, hello) == "Hello World\n");
    CHECK(ask(client, address, hello, "anything\n") == "Hello World\n");
    const auto before = now();
    const std::string line = ask(client, address, daytime);
    CHECK(std::regex_match(
        line, std::regex(R"([A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d \d{4}\n)")));
    std::tm tm{};
    REQUIRE(::strptime(line.c_str(), "%a %b %e %H:%M:%S %Y", &tm));
    CHECK(std::abs(::timegm(&tm) - before) <= 2);
    // A dual-stack wildcard answers IPv4 from the IPv4 address asked, not as ::ffff:127.0.0.1.
    CHECK(std::regex_match(ask(client, address, rfc3339),
                           std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n)")));
  }
  UdpClient client("127.0.0.1");
  const auto before = now();
  const std::string bytes = ask(client, "127.0.0.1", rfc868);
  REQUIRE(bytes.size() == 4);
  std::uint32_t since_1900 = 0;
  for (const char byte : bytes)
    since_1900 = since_1900 << 8 | static_cast<unsigned char>(byte);
  CHECK(std::abs(static_cast<std::int64_t>(since_1900) - 2208988800 - before) <= 2);
}

TEST_CASE("rdate -u reads the time from a netsvcd time listener over UDP, IPv4 and IPv6",
          "[udp][rdate]") {
  TempDir dir;
  const auto port = free_port();
  const auto daemon = start_netsvcd(dir, fmt::format(R"(listeners:
  - name: time
    kind: time
    format: rfc868
    listen: ["udp://127.0.0.1:{0}", "udp://[::1]:{0}"]
)",
                                                     port));
  for (const auto& [family, address] : {std::pair{"-4", "127.0.0.1"}, std::pair{"-6", "::1"}}) {
    INFO(address);
    const auto before = now();
    // rdate prints the time in the local zone: UTC, whatever the machine's.
    const auto result = run_program("/usr/bin/env", {"TZ=UTC", "/usr/sbin/rdate", "-p", "-u",
                                                     family, "-o", std::to_string(port), address});
    INFO(result.out << result.err);
    REQUIRE(result.exit_code == 0);
    // "Tue Dec  1 02:33:08 UTC 2026"
    std::smatch match;
    REQUIRE(std::regex_search(
        result.out, match, std::regex(R"(^(\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d) UTC (\d{4})\n$)")));
    std::tm tm{};
    const std::string text = match[1].str() + " " + match[2].str();
    REQUIRE(::strptime(text.c_str(), "%a %b %e %H:%M:%S %Y", &tm));
    CHECK(std::abs(::timegm(&tm) - before) <= 2);
  }
  CHECK(daemon->count_log("time: answered 1 datagram: 127.0.0.1:") >= 1);
  CHECK(daemon->count_log("time: answered 1 datagram: [::1]:") >= 1);
}

TEST_CASE(
    "the datagram that crosses udp_rate_per_source gets no answer, and the one before it does",
    "[udp][limits]") {
  TempDir dir;
  const auto port = free_port();
  const auto daemon = start_netsvcd(dir, fmt::format(R"(listeners:
  - name: hello
    kind: hello
    listen: "udp://[::]:{}"
    udp_rate_per_source: 3/m
)",
                                                     port));
  UdpClient client("127.0.0.1");
  for (int i = 0; i < 3; ++i)
    CHECK(ask(client, "127.0.0.1", port) == "Hello World\n");
  client.send("", "127.0.0.1", port);
  // Another source has its own bucket; the same address from another port does not.
  UdpClient witness("127.0.0.2");
  CHECK(nothing_before(client, witness, "127.0.0.1", port));
  UdpClient same_source("127.0.0.1");
  same_source.send("", "127.0.0.1", port);
  CHECK(nothing_before(same_source, witness, "127.0.0.1", port));
  CHECK(daemon->wait_for_log("hello: no answer to a datagram from [::ffff:127.0.0.1]:"));
  CHECK(daemon->count_log("over udp_rate_per_source") == 1);  // one report per interval
}

TEST_CASE("a datagram from a service's port gets no answer: no ping-pong between servers",
          "[udp][reflection]") {
  TempDir dir;
  const auto port = free_port();
  const auto daemon = start_netsvcd(dir, fmt::format(R"(listeners:
  - name: daytime
    kind: time
    listen: "udp://127.0.0.1:{}"
)",
                                                     port));
  // A chargen (19) source: what a forged request to bounce answers between two servers has.
  UdpClient chargen("127.0.0.1", 19);
  chargen.send("", "127.0.0.1", port);
  UdpClient witness("127.0.0.2");
  CHECK(nothing_before(chargen, witness, "127.0.0.1", port));
  CHECK(daemon->wait_for_log(
      "daytime: no answer to a datagram from 127.0.0.1:19: its source could be a service"));
}

TEST_CASE("udp:// on a kind that cannot answer datagrams is a config error at the entry",
          "[udp][config]") {
  TempDir dir;
  const auto port = free_port();
  const auto config =
      dir.write("netsvcd.yaml", fmt::format(R"(listeners:
  - name: words
    kind: wordfinder
    listen: ["127.0.0.1:{0}", "udp://127.0.0.1:{0}"]
  - name: hello
    kind: hello
    listen: "udp://127.0.0.1:{0}"
    proxy_protocol: true
    proxy_from: 127.0.0.1
  - name: big
    kind: hello
    listen: "udp://127.0.0.1:{1}"
    message: "{2}"
)",
                                            port, free_port(), std::string(65507, 'x')));
  const auto result = run_netsvcd({"--check-config", "--config", config.string()});
  CHECK(result.exit_code == 1);
  const std::string file = config.string();
  CHECK(result.err.find(file + ":4:33: listeners[0].listen[1]: a wordfinder listener cannot "
                               "serve UDP (kinds that can: hello, time)") != std::string::npos);
  CHECK(result.err.find(file + ":8:21: listeners[1].proxy_protocol: the PROXY protocol comes "
                               "before a TCP stream") != std::string::npos);
  CHECK(result.err.find(file + ":13:14: listeners[2].message: with its newline, 65508 bytes: "
                               "over the largest UDP datagram (65507 bytes)") != std::string::npos);
  INFO(result.err);
}

TEST_CASE(
    "systemd-socket-activate --datagram: the first datagram starts netsvcd, which adopts the UDP "
    "sockets and answers it",
    "[udp][systemd][activation]") {
  TempDir dir;
  const auto port = free_port();
  const auto p = std::to_string(port);
  const auto config = dir.write("netsvcd.yaml", fmt::format(R"(listeners:
  - name: hello
    kind: hello
    listen: ["udp://127.0.0.1:{0}", "udp://[::1]:{0}", "127.0.0.1:{0}"]
)",
                                                            port));
  DaemonProcess activator({"--datagram", "-l", "127.0.0.1:" + p, "-l", "[::1]:" + p,
                           netsvcd_binary(), "--config", config.string()},
                          {.program = "/usr/bin/systemd-socket-activate"});
  REQUIRE(activator.wait_for_log("Listening on [::1]:" + p));
  // netsvcd does not run yet: the datagram waits in the passed socket, then gets its answer.
  UdpClient client("127.0.0.1");
  client.send("", "127.0.0.1", port);
  const auto first = client.receive(10s);
  REQUIRE(first);
  CHECK(first->payload == "Hello World\n");
  REQUIRE(activator.wait_for_log(" ready: "));
  CHECK(activator.count_log("sockets passed by systemd: udp://127.0.0.1:" + p +
                            " (unknown), udp://[::1]:" + p + " (unknown)") == 1);
  UdpClient v6("::1");
  CHECK(ask(v6, "::1", port) == "Hello World\n");
  CHECK(activator.count_log("; closed") == 0);
  CHECK(activator.stop() == 0);
}

TEST_CASE(
    "a wildcard UDP socket answers from the address each datagram was sent to, on a host with "
    "several (a network namespace of the test's own)",
    "[udp][netns]") {
  // Everything happens on one thread that moves into a new network namespace: the sockets it
  // makes and the processes it starts (ip, netsvcd) are in it, and nothing leaves it.
  struct Seen {
    std::string setup_error;
    std::vector<std::pair<std::string, std::string>> asked_and_answered;  // to, from
  } seen;
  std::thread inside([&seen] {
    try {
      if (::unshare(CLONE_NEWNET) != 0) {
        seen.setup_error = std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
        return;
      }
      for (const std::vector<std::string>& args :
           {std::vector<std::string>{"link", "set", "lo", "up"},
            {"addr", "add", "192.0.2.1/32", "dev", "lo"},
            {"addr", "add", "192.0.2.2/32", "dev", "lo"},
            {"-6", "addr", "add", "2001:db8::1/128", "dev", "lo", "nodad"},
            {"-6", "addr", "add", "2001:db8::2/128", "dev", "lo", "nodad"}}) {
        const auto result = run_program("/usr/sbin/ip", args);
        if (result.exit_code != 0) {
          seen.setup_error = "ip failed: " + result.err;
          return;
        }
      }
      TempDir dir;
      const std::uint16_t port = 8013;  // the namespace is the test's own: any port is free
      const auto daemon = start_netsvcd(dir, R"(listeners:
  - name: hello
    kind: hello
    listen: ["udp://0.0.0.0:8013", "udp://[::]:8013"]
    v6only: true
  - name: dual
    kind: hello
    message: dual
    listen: "udp://[::]:8014"
)");
      // The client's own address is the other one: the kernel's own choice of source for an
      // answer to it would be that address, not the one asked.
      for (const auto& [from, to, to_port] :
           {std::tuple{"192.0.2.1", "192.0.2.2", port}, std::tuple{"192.0.2.2", "192.0.2.1", port},
            std::tuple{"2001:db8::1", "2001:db8::2", port},
            std::tuple{"2001:db8::2", "2001:db8::1", port},
            std::tuple{"192.0.2.1", "192.0.2.2", std::uint16_t{8014}},
            std::tuple{"2001:db8::1", "2001:db8::2", std::uint16_t{8014}}}) {
        UdpClient client(from);
        client.send("", to, to_port);
        const auto answer = client.receive();
        seen.asked_and_answered.emplace_back(
            std::string(to), answer ? answer->from_address : std::string("no answer"));
      }
    } catch (const std::exception& error) {
      seen.setup_error = error.what();
    }
  });
  inside.join();
  REQUIRE(seen.setup_error.empty());
  REQUIRE(seen.asked_and_answered.size() == 6);
  for (const auto& [asked, answered] : seen.asked_and_answered)
    CHECK(answered == asked);
}

TEST_CASE("datagrams received, answered and dropped by reason are in /metrics and --status",
          "[udp][metrics][status]") {
  TempDir dir;
  const auto port = free_port();
  const auto metrics = free_port();
  const auto control = (dir.path() / "control").string();
  LaunchOptions options;
  options.extra_args = {"--control-socket", control};
  const auto daemon = start_netsvcd(dir,
                                    fmt::format(R"(listeners:
  - name: daytime
    kind: time
    listen: "udp://127.0.0.1:{}"
    udp_rate_per_source: 2/m
    deny: 127.0.0.3
  - name: metrics
    kind: metrics
    listen: 127.0.0.1:{}
)",
                                                port, metrics),
                                    options);
  UdpClient client("127.0.0.1");
  ask(client, "127.0.0.1", port);
  ask(client, "127.0.0.1", port);
  client.send("", "127.0.0.1", port);  // over udp_rate_per_source
  UdpClient chargen("127.0.0.1", 19);
  chargen.send("", "127.0.0.1", port);  // reflection
  UdpClient denied("127.0.0.3");
  denied.send("", "127.0.0.1", port);  // access
  UdpClient witness("127.0.0.2");
  REQUIRE(nothing_before(client, witness, "127.0.0.1", port));
  CHECK_FALSE(chargen.waiting());
  CHECK_FALSE(denied.waiting());

  // The answer to the witness is counted once sendmmsg returns: scraped until it is.
  const std::string wanted = "netsvcd_datagrams_answered_total{listener=\"daytime\"} 3\n";
  std::string text;
  for (const auto deadline = std::chrono::steady_clock::now() + 10s;
       text.find(wanted) == std::string::npos && std::chrono::steady_clock::now() < deadline;) {
    const auto answer = fetch("127.0.0.1", metrics,
                              "GET /metrics HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    text = answer.substr(answer.find("\r\n\r\n") + 4);
  }
  INFO(text);
  CHECK(text.find(wanted) != std::string::npos);
  for (const auto& [reason, count] :
       {std::pair{"access", 1}, std::pair{"reflection", 1}, std::pair{"udp_rate_per_source", 1},
        std::pair{"udp_rate", 0}, std::pair{"send_failed", 0}}) {
    CHECK(text.find(fmt::format(
              "netsvcd_datagrams_dropped_total{{listener=\"daytime\",reason=\"{}\"}} {}\n", reason,
              count)) != std::string::npos);
  }
  CHECK(text.find("netsvcd_datagrams_received_total{listener=\"daytime\"} 6\n") !=
        std::string::npos);
  CHECK(text.find("netsvcd_datagrams_received_total{listener=\"metrics\"}") == std::string::npos);
  const auto scraped = dir.write("scrape.txt", text);
  const auto promtool = promtool_check_metrics(scraped);
  INFO(promtool.out << promtool.err);
  CHECK(promtool.exit_code == 0);
  CHECK(promtool.out.empty());

  const auto status = run_netsvcd({"--status", "--control-socket", control});
  CHECK(status.exit_code == 0);
  CHECK(status.out.find("daytime over UDP: 6 received, 3 answered, 3 dropped (1 access, 1 "
                        "reflection, 1 udp_rate_per_source)\n") != std::string::npos);
  INFO(status.out);
  const auto json =
      nlohmann::json::parse(run_netsvcd({"--status", "--json", "--control-socket", control}).out);
  CHECK(json.at("listeners").at(0).at("datagrams") ==
        nlohmann::json::parse(R"({"received":6,"answered":3,"dropped":3,"dropped_by_reason":
            {"access":1,"reflection":1,"udp_rate_per_source":1,"udp_rate":0,"send_failed":0}})"));
  CHECK_FALSE(json.at("listeners").at(1).contains("datagrams"));
}

TEST_CASE("a reload keeps an unchanged UDP socket, adds and removes others, and loses nothing",
          "[udp][reload]") {
  TempDir dir;
  const auto kept = free_port();
  const auto removed = free_port();
  const auto added = free_port();
  const auto control = (dir.path() / "control").string();
  const auto config = [&](std::uint16_t second, std::string_view message) {
    return fmt::format(R"(defaults:
  udp_rate_per_source: 100000/s
  udp_rate: 100000/s
listeners:
  - name: hello
    kind: hello
    message: "{}"
    listen: ["udp://127.0.0.1:{}", "udp://127.0.0.1:{}"]
)",
                       message, kept, second);
  };
  LaunchOptions options;
  options.extra_args = {"--control-socket", control};
  const auto daemon = start_netsvcd(dir, config(removed, "one"), options);

  // A client asks the kept port in a loop, each question waiting for its answer: a datagram lost
  // across a reload would be a question unanswered within the deadline.
  std::atomic<bool> stop{false};
  std::atomic<int> asked{0};
  std::atomic<int> lost{0};
  std::thread client([&] {
    UdpClient socket("127.0.0.1");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!stop && std::chrono::steady_clock::now() < deadline && asked < 100000) {
      socket.send("", "127.0.0.1", kept);
      ++asked;
      const auto answer = socket.receive(2s);
      if (!answer || (answer->payload != "one\n" && answer->payload != "two\n")) ++lost;
    }
  });
  const auto reload_to = [&](std::uint16_t second, std::string_view message) {
    dir.write("netsvcd.yaml", config(second, message));
    const auto result = run_netsvcd({"--reload", "--control-socket", control});
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
  };
  for (int i = 0; i < 5; ++i) {
    reload_to(added, "two");
    // No wait for a port: --reload returns once the new socket answers.
    UdpClient probe("127.0.0.1");
    CHECK(ask(probe, "127.0.0.1", added) == "two\n");
    // The removed port is free again: this test can bind it.
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(removed);
    CHECK(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    ::close(fd);
    reload_to(removed, "one");
    CHECK(ask(probe, "127.0.0.1", removed) == "one\n");
  }
  stop = true;
  client.join();
  CHECK(asked > 10);
  CHECK(lost == 0);

  // A UDP socket cannot give its port up to a socket of another identity while it is open (as a
  // TCP socket can, by ceasing to listen): the reload is refused, and everything still answers.
  dir.write("netsvcd.yaml", fmt::format(R"(listeners:
  - name: hello
    kind: hello
    message: "one"
    listen: ["udp://[::]:{}", "udp://127.0.0.1:{}"]
)",
                                        kept, removed));
  const auto refused = run_netsvcd({"--reload", "--control-socket", control});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find(fmt::format("listener hello: udp://[::]:{} cannot replace a running UDP "
                                     "socket on the same port in a reload",
                                     kept)) != std::string::npos);
  UdpClient probe("127.0.0.1");
  CHECK(ask(probe, "127.0.0.1", kept) == "one\n");
  // The kept socket was handed over each time, never bound again.
  CHECK(daemon->count_log(fmt::format("listening on udp://127.0.0.1:{}", kept)) == 11);
}

}  // namespace netsvcd::test
