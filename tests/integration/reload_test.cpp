// Integration tests of live reload: the real netsvcd binary started with --control-socket, its
// YAML rewritten in place, then reloaded by `netsvcd --reload` (what ExecReload= runs) or by
// SIGHUP. What is checked is what a client sees: new addresses answer the moment --reload
// returns, removed ones refuse, connections in flight finish with what they started with, a
// refused reload changes nothing, and a client hammering a port across 50 reloads is never
// refused or cut.
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stop_token>
#include <thread>

#include "support/client.hpp"
#include "support/daemon_process.hpp"
#include "support/hello_config.hpp"
#include "support/notify_socket.hpp"
#include "support/port_squatter.hpp"
#include "support/ports.hpp"
#include "support/temp_dir.hpp"

namespace netsvcd::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kRefused = "reload refused; still serving the previous configuration";

// A daemon with a control socket, and the means to change its config and reload it.
struct Reloadable {
  TempDir dir;
  std::filesystem::path control = dir.path() / "control";
  std::string config = (dir.path() / "netsvcd.yaml").string();
  std::unique_ptr<DaemonProcess> daemon;

  explicit Reloadable(std::string_view yaml) {
    LaunchOptions options;
    options.extra_args = {"--control-socket", control.string()};
    daemon = start_netsvcd(dir, yaml, options);
  }

  // Rewrites the file the daemon was started on; nothing changes until a reload.
  void rewrite(std::string_view yaml) const { dir.write("netsvcd.yaml", yaml); }

  // `netsvcd --reload`, run to its end: it returns once the daemon has answered.
  RunResult reload() const {
    return run_netsvcd({"--reload", "--control-socket", control.string()});
  }

  // Rewrites the file, then reloads it: --reload must succeed with `listeners` on `addresses`.
  RunResult reload_to(std::string_view yaml, std::size_t listeners = 1,
                      std::size_t addresses = 1) const {
    rewrite(yaml);
    auto result = reload();
    CHECK(result.exit_code == 0);
    CHECK(result.out == reloaded(listeners, addresses));
    return result;
  }

  // What --reload prints on success.
  std::string reloaded(std::size_t listeners, std::size_t addresses) const {
    return fmt::format("reloaded {}: {} listener(s) on {} address(es)\n", config, listeners,
                       addresses);
  }
};

std::string large_message() {
  return std::string(kLargerThanSocketBuffers, 'm');
}

// A client with a small receive window that has taken the first byte of a large answer: the
// daemon is mid-write on it, so the connection is in flight until the client reads the rest.
Connection start_slow_transfer(std::uint16_t port) {
  Connection connection("127.0.0.1", port, 5s, 4096);
  REQUIRE(connection.read(1) == "m");
  return connection;
}

// Reads the rest of a slow transfer, first widening the client's receive window: once the
// connection has been kept in flight across what the test does, a 4 KiB window would only make
// the rest take seconds.
std::string finish_slow_transfer(Connection& connection) {
  const int wide = 4 * 1024 * 1024;
  ::setsockopt(connection.fd(), SOL_SOCKET, SO_RCVBUF, &wide, sizeof wide);
  return "m" + connection.read_to_end(20s);
}

// Sends `request` on a unix stream socket and returns what comes back until the peer closes.
std::string ask_unix_socket(const std::filesystem::path& path, std::string_view request) {
  const OwnedFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd.get() >= 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  REQUIRE(::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size()));
  std::string reply;
  const auto deadline = Clock::now() + 5s;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd readable{fd.get(), POLLIN, 0};
    REQUIRE(::poll(&readable, 1, static_cast<int>(std::max<std::int64_t>(0, left.count()))) == 1);
    char buffer[4096];
    const ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
    REQUIRE(n >= 0);
    if (n == 0) return reply;
    reply.append(buffer, static_cast<std::size_t>(n));
  }
}

// The word finder's answer to GET /<rack> on a connection of its own, as JSON.
nlohmann::json ask_wordfinder(std::uint16_t port, std::string_view rack) {
  const auto response =
      fetch("127.0.0.1", port,
            fmt::format("GET /{} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n", rack));
  const auto body = response.find("\r\n\r\n");
  REQUIRE(body != std::string::npos);
  REQUIRE(response.starts_with("HTTP/1.1 200 "));
  return nlohmann::json::parse(response.substr(body + 4));
}

// Reads one HTTP response with a Content-Length body from a kept-alive connection; its body.
std::string read_http_body(Connection& connection) {
  std::string data;
  for (;;) {
    const auto end_of_head = data.find("\r\n\r\n");
    if (end_of_head != std::string::npos) {
      const auto field = data.find("Content-Length: ");
      REQUIRE(field < end_of_head);
      const std::size_t length = std::stoul(data.substr(field + 16));
      if (data.size() >= end_of_head + 4 + length) return data.substr(end_of_head + 4, length);
    }
    const auto more = connection.read_some();
    REQUIRE(!more.empty());
    data += more;
  }
}

}  // namespace

TEST_CASE("reload: a new listener answers as soon as --reload returns, the old one still does",
          "[reload]") {
  const auto old_port = free_port();
  const auto new_port = free_port();
  Reloadable server(hello_config(old_port));
  REQUIRE(refused("127.0.0.1", new_port));

  const auto with_bonjour = hello_config(old_port) + fmt::format(R"(  - name: bonjour
    kind: hello
    listen: ["127.0.0.1:{}"]
    message: "Bonjour le monde"
)",
                                                                 new_port);
  const auto result = server.reload_to(with_bonjour, 2, 2);
  CHECK(result.err.empty());
  // No wait for a port: --reload returns 0 only once the new listener accepts.
  CHECK(fetch("127.0.0.1", new_port) == "Bonjour le monde\n");
  CHECK(fetch("127.0.0.1", old_port) == "Hello World\n");

  auto& daemon = *server.daemon;
  REQUIRE(daemon.wait_for_log("reloaded " + server.config + ": 2 listener(s) on 2 address(es)"));
  CHECK(daemon.count_log("reload requested over the control socket: reloading " + server.config) ==
        1);
  CHECK(daemon.count_log(
            fmt::format("listener bonjour (hello) listening on 127.0.0.1:{}", new_port)) == 1);
  // The running listener logs its line again: it was rebuilt on the socket it handed over.
  CHECK(daemon.count_log(
            fmt::format("listener hello (hello) listening on 127.0.0.1:{}", old_port)) == 2);
}

TEST_CASE("reload: a removed listener or address refuses at once while its transfers finish",
          "[reload]") {
  const auto kept = free_port();
  const auto dropped = free_port();
  const auto big = free_port();
  const auto config = [&](bool with_removed) {
    std::string yaml =
        fmt::format(R"(listeners:
  - name: hello
    kind: hello
    listen: ["127.0.0.1:{}"{}]
)",
                    kept, with_removed ? fmt::format(", \"127.0.0.1:{}\"", dropped) : "");
    if (with_removed) {
      yaml += fmt::format(R"(  - name: big
    kind: hello
    listen: ["127.0.0.1:{}"]
    write_timeout: 20s
    message: {}
)",
                          big, large_message());
    }
    return yaml;
  };
  Reloadable server(config(true));
  CHECK(fetch("127.0.0.1", dropped) == "Hello World\n");
  Connection slow = start_slow_transfer(big);

  const auto result = server.reload_to(config(false));
  CHECK(result.err.empty());
  CHECK(refused("127.0.0.1", big));
  CHECK(refused("127.0.0.1", dropped));
  CHECK(fetch("127.0.0.1", kept) == "Hello World\n");
  REQUIRE(server.daemon->wait_for_log(
      fmt::format("listener big removed: no longer accepting on 127.0.0.1:{}", big)));

  // The transfer that started before the reload is not cut: every byte, then a clean end.
  const auto received = finish_slow_transfer(slow);
  const bool complete = received == large_message() + "\n";
  CHECK(complete);
  CHECK(slow.end_error() == 0);
}

TEST_CASE("reload: a new hello message goes to new connections, an old transfer keeps its own",
          "[reload]") {
  const auto port = free_port();
  Reloadable server(hello_config(port, "    write_timeout: 20s\n    message: " + large_message()));
  Connection slow = start_slow_transfer(port);

  server.reload_to(hello_config(port, "    message: \"Hello again\""));
  CHECK(fetch("127.0.0.1", port) == "Hello again\n");

  const auto received = finish_slow_transfer(slow);
  const bool old_message_complete = received == large_message() + "\n";
  CHECK(old_message_complete);
  CHECK(slow.end_error() == 0);
  CHECK(fetch("127.0.0.1", port) == "Hello again\n");
}

TEST_CASE("reload: a wordfinder answers from the new dictionary, a kept-alive client from the old",
          "[reload][wordfinder]") {
  const auto port = free_port();
  TempDir words;
  const auto first = words.write("first.txt", "bread\nbeard\nread\ndear\n");
  const auto second = words.write("second.txt", "bared\ndebar\nbear\nbade\n");
  const auto config = [&](const std::filesystem::path& dictionary) {
    return fmt::format(R"(listeners:
  - name: words
    kind: wordfinder
    listen: ["127.0.0.1:{}"]
    dictionary: {}
)",
                       port, dictionary.string());
  };
  using Words = std::vector<std::string>;
  Reloadable server(config(first));
  CHECK(ask_wordfinder(port, "abder")["possibilities"] == Words{"beard", "bread", "dear", "read"});
  // A connection kept alive across the reload: it is in flight, and must not be cut.
  Connection kept("127.0.0.1", port);
  const auto request = "GET /abder HTTP/1.1\r\nHost: test\r\n\r\n";
  kept.send(request);
  CHECK(nlohmann::json::parse(read_http_body(kept))["count"] == 4);

  server.reload_to(config(second));
  const auto answer = ask_wordfinder(port, "abder");
  CHECK(answer["possibilities"] == Words{"bared", "debar", "bade", "bear"});
  CHECK(answer["cached"] == false);  // the old listener's cache went with it

  // The kept-alive connection is served to its end by the listener it came to.
  kept.send(request);
  const auto old_answer = nlohmann::json::parse(read_http_body(kept));
  CHECK(old_answer["possibilities"] == Words{"beard", "bread", "dear", "read"});
  CHECK(old_answer["cached"] == true);
}

TEST_CASE("reload: an invalid file is refused with every error, and nothing changes",
          "[reload][config]") {
  const auto port = free_port();
  Reloadable server(hello_config(port));
  auto& daemon = *server.daemon;
  const auto& file = server.config;

  SECTION("a YAML syntax error") {
    server.rewrite(fmt::format(R"(listeners:
  - name: hello
    kind: hello
    listen: ["127.0.0.1:{}"
    message: "Changed"
)",
                               port));
    const auto result = server.reload();
    CHECK(result.exit_code == 1);
    CHECK(result.out.empty());
    const auto error = file + ":5:5: YAML syntax error: end of sequence flow not found";
    CHECK(result.err == error + "\n" + file + ": 1 error(s)\n" + std::string(kRefused) + "\n");
    REQUIRE(daemon.wait_for_log(kRefused));
    CHECK(daemon.count_log("error " + error) == 1);
  }
  SECTION("under systemd, where stderr is the journal, each line carries the error priority") {
    server.rewrite(hello_config(port, "    mesage: typo"));
    DaemonProcess helper({"--reload", "--control-socket", server.control.string()},
                         {.stderr_is_journal_stream = true});
    CHECK(helper.wait_exit() == 1);
    const auto error = file + ":5:5: listeners[0].mesage: unknown key";
    CHECK(helper.err().starts_with("<3>" + error));
    CHECK(helper.err().ends_with("\n<3>" + file + ": 1 error(s)\n<3>" + std::string(kRefused) +
                                 "\n"));
  }
  SECTION("an unknown key and a bad port") {
    server.rewrite(R"(listeners:
  - name: hello
    kind: hello
    listen: ["127.0.0.1:99999"]
    mesage: "Changed"
)");
    const auto result = server.reload();
    CHECK(result.exit_code == 1);
    CHECK(result.out.empty());
    const auto port_error =
        file + ":4:14: listeners[0].listen[0]: bad port \"99999\" (expected 1 to 65535)";
    const auto key_error =
        file +
        ":5:5: listeners[0].mesage: unknown key: did you mean \"message\"? "
        "(expected name, kind, v6only, write_timeout, listen, max_connections, "
        "max_per_source, rate_limit, allow, deny, udp_rate_per_source, udp_rate, proxy_protocol, "
        "proxy_from, message)";
    CHECK(result.err == port_error + "\n" + key_error + "\n" + file + ": 2 error(s)\n" +
                            std::string(kRefused) + "\n");
    REQUIRE(daemon.wait_for_log(kRefused));
    CHECK(daemon.count_log("error " + port_error) == 1);
    CHECK(daemon.count_log("error " + key_error) == 1);
  }

  // Still the first config, on its listener as started: no listener was rebuilt.
  CHECK(fetch("127.0.0.1", port) == "Hello World\n");
  CHECK(daemon.count_log("listening on") == 1);
  CHECK(daemon.count_log("reloaded ") == 0);
  // And the daemon reloads a good file afterwards.
  server.reload_to(hello_config(port, "    message: \"Fixed\""));
  CHECK(fetch("127.0.0.1", port) == "Fixed\n");
}

TEST_CASE("reload: an address taken by another program refuses the whole reload",
          "[reload][faults]") {
  const auto port = free_port();
  const auto taken = free_port();
  Reloadable server(hello_config(port));
  const PortSquatter squatter(taken);

  // The same reload changes the message too: none of it may apply.
  server.rewrite(hello_config(port, "    message: \"Changed\"") + fmt::format(R"(  - name: extra
    kind: hello
    listen: ["127.0.0.1:{}"]
)",
                                                                              taken));
  const auto result = server.reload();
  CHECK(result.exit_code == 1);
  CHECK(result.out.empty());
  const auto error =
      fmt::format("listener extra: cannot listen on 127.0.0.1:{}: Address already in use", taken);
  CHECK(result.err == error + "\n" + std::string(kRefused) + "\n");
  REQUIRE(server.daemon->wait_for_log(kRefused));
  CHECK(server.daemon->count_log("error " + error) == 1);
  CHECK(fetch("127.0.0.1", port) == "Hello World\n");
  CHECK(server.daemon->count_log("listening on") == 1);
}

TEST_CASE("reload on SIGHUP: a new address answers once the reload is logged",
          "[reload][signals]") {
  const auto port = free_port();
  const auto added = free_port();
  TempDir dir;
  const auto daemon = start_netsvcd(dir, hello_config(port));
  const auto file = (dir.path() / "netsvcd.yaml").string();

  dir.write("netsvcd.yaml", fmt::format(R"(listeners:
  - name: hello
    kind: hello
    listen: ["127.0.0.1:{}", "127.0.0.1:{}"]
    message: "Hello twice"
)",
                                        port, added));
  daemon->signal(SIGHUP);
  REQUIRE(daemon->wait_for_log("received SIGHUP: reloading " + file));
  REQUIRE(daemon->wait_for_log("reloaded " + file + ": 1 listener(s) on 2 address(es)"));
  CHECK(fetch("127.0.0.1", added) == "Hello twice\n");
  CHECK(fetch("127.0.0.1", port) == "Hello twice\n");
  CHECK(daemon->count_log(fmt::format("listener hello (hello) listening on 127.0.0.1:{}, "
                                      "127.0.0.1:{}",
                                      port, added)) == 1);
}

namespace {

// What the hammering client of the next tests saw.
struct LoadReport {
  std::array<std::size_t, 2> answered{};  // complete answers with each expected text
  std::size_t refused = 0;
  std::size_t broken = 0;  // reset, cut short, timed out, or not one of the texts
  std::string first_failure;
  bool stopped_by_test = false;  // rather than by its count or its deadline
};

// 50 synchronous reloads, each changing the message, while a client connects in a tight loop on
// the same port: not one connection may be refused or cut.
void hammer_across_reloads(int threads) {
  constexpr int kReloads = 50;
  constexpr std::size_t kMaxConnections = 200000;
  constexpr auto kClientDeadline = 60s;
  const std::array<std::string, 2> texts{"Hello from the first config",
                                         "Hello from the second config"};
  const auto port = free_port();
  const auto config = [&](int which) {
    return fmt::format("threads: {}\n", threads) +
           hello_config(port, fmt::format("    message: \"{}\"", texts[which]));
  };
  Reloadable server(config(0));

  std::atomic<std::size_t> attempts{0};
  LoadReport report;  // the client's until it is joined
  std::jthread client([&](std::stop_token stop) {
    const auto deadline = Clock::now() + kClientDeadline;
    const auto fail = [&](std::string what) {
      if (report.first_failure.empty()) report.first_failure = std::move(what);
    };
    for (std::size_t i = 0; i < kMaxConnections && Clock::now() < deadline; ++i) {
      if (stop.stop_requested()) {
        report.stopped_by_test = true;
        break;
      }
      try {
        Connection connection("127.0.0.1", port);
        const auto answer = connection.read_to_end();
        if (connection.end_error() == 0 && answer == texts[0] + "\n") {
          ++report.answered[0];
        } else if (connection.end_error() == 0 && answer == texts[1] + "\n") {
          ++report.answered[1];
        } else {
          ++report.broken;
          fail(fmt::format("connection {}: {} byte(s) \"{}\" then {}", i, answer.size(),
                           answer.substr(0, 80), std::strerror(connection.end_error())));
        }
      } catch (const std::exception& error) {
        const bool was_refused =
            std::string_view(error.what()).ends_with(std::strerror(ECONNREFUSED));
        ++(was_refused ? report.refused : report.broken);
        fail(fmt::format("connection {}: {}", i, error.what()));
      }
      attempts.fetch_add(1);
      attempts.notify_all();
    }
    attempts.fetch_add(1);  // wakes the wait below even if the loop ended at once
    attempts.notify_all();
  });

  // The client is under way before the first reload.
  attempts.wait(0);
  const auto before = attempts.load();
  int reloads_done = 0;
  int reloads_overlapped = 0;  // reloads during which the client finished a connection
  for (int i = 1; i <= kReloads; ++i) {
    const auto started = attempts.load();
    server.rewrite(config(i % 2));
    const auto result = server.reload();
    if (result.exit_code != 0 || result.out != server.reloaded(1, 1)) {
      FAIL_CHECK("reload " << i << " exited " << result.exit_code << ": " << result.out
                           << result.err);
      break;
    }
    ++reloads_done;
    reloads_overlapped += attempts.load() > started;
  }
  const auto during = attempts.load() - before;
  client.request_stop();
  client.join();

  INFO("first failure: " << report.first_failure);
  INFO(during << " connections during the reloads; " << reloads_overlapped << " of " << reloads_done
              << " reloads overlapped by one");
  CHECK(reloads_done == kReloads);
  CHECK(report.refused == 0);
  CHECK(report.broken == 0);
  // The client ran from before the first reload until the last one had returned ...
  CHECK(report.stopped_by_test);
  // ... and connected throughout: some hundreds of connections, most reloads overlapped.
  CHECK(during >= 300);
  CHECK(reloads_overlapped >= kReloads / 2);
  CHECK(report.answered[0] > 0);
  CHECK(report.answered[1] > 0);

  auto& daemon = *server.daemon;
  CHECK(daemon.wait_for_log_count("reloaded ", kReloads));
  CHECK(daemon.count_log("reloaded ") == kReloads);
  CHECK(daemon.count_log(kRefused) == 0);
  CHECK(daemon.count_log("refused for a moment") == 0);
  CHECK(fetch("127.0.0.1", port) == texts[kReloads % 2] + "\n");
}

}  // namespace

TEST_CASE("reload: 50 reloads under a client's tight loop refuse and cut nothing (1 thread)",
          "[reload][load]") {
  hammer_across_reloads(1);
}

TEST_CASE("reload: 50 reloads under a client's tight loop refuse and cut nothing (2 threads)",
          "[reload][load]") {
  hammer_across_reloads(2);
}

TEST_CASE("reload: --reload with no daemon on the control socket exits 3 naming the socket",
          "[reload][cli]") {
  TempDir dir;
  const auto path = (dir.path() / "control").string();

  SECTION("no socket file") {
    const auto result = run_netsvcd({"--reload", "--control-socket", path});
    CHECK(result.exit_code == 3);
    CHECK(result.out.empty());
    CHECK(result.err == fmt::format("netsvcd --reload: {}: No such file or directory (is netsvcd "
                                    "running with --control-socket {}?)\n",
                                    path, path));
  }
  SECTION("a socket file left behind, with nobody listening") {
    const OwnedFd stale(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    REQUIRE(::bind(stale.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    const auto result = run_netsvcd({"--reload", "--control-socket", path});
    CHECK(result.exit_code == 3);
    CHECK(result.out.empty());
    CHECK(result.err == fmt::format("netsvcd --reload: {}: Connection refused (is netsvcd running "
                                    "with --control-socket {}?)\n",
                                    path, path));
  }
}

TEST_CASE("reload: an unknown request on the control socket is answered and harms nothing",
          "[reload]") {
  const auto port = free_port();
  Reloadable server(hello_config(port));
  CHECK(ask_unix_socket(server.control, "bogus\n") ==
        "failed\nunknown request \"bogus\" (expected \"reload\" or \"status\")\n");
  CHECK(server.daemon->count_log("reloading") == 0);

  // The daemon still serves, and still reloads on request.
  CHECK(fetch("127.0.0.1", port) == "Hello World\n");
  server.reload_to(hello_config(port, "    message: \"Still here\""));
  CHECK(fetch("127.0.0.1", port) == "Still here\n");
}

TEST_CASE("reload: 127.0.0.1:P becoming [::]:P closes the old socket first, then answers on both",
          "[reload]") {
  const auto port = free_port();
  Reloadable server(hello_config(port));
  REQUIRE(refused("::1", port));

  server.reload_to(hello_config_on(fmt::format("[::]:{}", port)));
  CHECK(fetch("::1", port) == "Hello World\n");
  CHECK(fetch("127.0.0.1", port) == "Hello World\n");
  REQUIRE(server.daemon->wait_for_log("reloaded "));
  CHECK(server.daemon->count_log(
            fmt::format("warning listener hello: [::]:{} (IPv4 and IPv6) replaces 127.0.0.1:{}: "
                        "connections to port {} may be refused for a moment",
                        port, port, port)) == 1);
  CHECK(server.daemon->count_log(
            fmt::format("listener hello (hello) listening on [::]:{} (IPv4 and IPv6)", port)) == 1);
}

TEST_CASE("reload: [::]:P v6only beside 0.0.0.0:P becoming dual-stack [::]:P names both sockets",
          "[reload]") {
  const auto port = free_port();
  Reloadable server(fmt::format(R"(listeners:
  - name: hello
    kind: hello
    listen: ["[::]:{}"]
    v6only: true
  - name: four
    kind: hello
    listen: ["0.0.0.0:{}"]
    message: "IPv4"
)",
                                port, port));
  CHECK(fetch("127.0.0.1", port) == "IPv4\n");

  server.reload_to(hello_config_on(fmt::format("[::]:{}", port)));
  CHECK(fetch("127.0.0.1", port) == "Hello World\n");
  CHECK(fetch("::1", port) == "Hello World\n");
  auto& daemon = *server.daemon;
  REQUIRE(daemon.wait_for_log("reloaded "));
  // The same address with and without v6only is two different sockets: the warning says which.
  for (const auto* old : {"0.0.0.0:{}", "[::]:{} (IPv6 only)"}) {
    CHECK(daemon.count_log(fmt::format(
              "warning listener hello: [::]:{} (IPv4 and IPv6) replaces {}: connections to port "
              "{} may be refused for a moment",
              port, fmt::format(fmt::runtime(old), port), port)) == 1);
  }
  CHECK(daemon.count_log(
            fmt::format("listener four removed: no longer accepting on 0.0.0.0:{}", port)) == 1);
}

TEST_CASE("reload: when 0.0.0.0:P cannot become [::]:P, the old socket is bound again",
          "[reload][faults]") {
  const auto port = free_port();
  Reloadable server(hello_config_on(fmt::format("0.0.0.0:{}", port)));
  // Another program on [::1]:P: the dual-stack [::]:P cannot be bound, which the daemon only
  // finds out after closing 0.0.0.0:P.
  const PortSquatter squatter(port, "::1");
  server.rewrite(hello_config_on(fmt::format("[::]:{}", port), "    message: \"Changed\""));
  const auto result = server.reload();
  CHECK(result.exit_code == 1);
  CHECK(result.out.empty());
  const auto error =
      fmt::format("listener hello: cannot listen on [::]:{}: Address already in use", port);
  CHECK(result.err == error + "\n" + std::string(kRefused) + "\n");
  CHECK(fetch("127.0.0.1", port) == "Hello World\n");
  REQUIRE(server.daemon->wait_for_log(kRefused));
  CHECK(server.daemon->count_log("error " + error) == 1);
  CHECK(server.daemon->count_log(
            fmt::format("listener hello (hello) listening on 0.0.0.0:{}", port)) == 2);
}

// Under systemd the fd store holds a duplicate of every listening socket (FDSTORE=1), so closing
// the daemon's own descriptor would not free the address for the new socket (a bug this test
// found): the old socket must stop listening everywhere. The test holds the stored descriptor
// as systemd would.
TEST_CASE("reload: 127.0.0.1:P becomes [::]:P while systemd's fd store holds the old socket",
          "[reload][systemd]") {
  const auto port = free_port();
  TempDir dir;
  NotifySocket notify(dir);
  const auto control = (dir.path() / "control").string();
  LaunchOptions options;
  options.environment = {notify.environment()};
  options.extra_args = {"--control-socket", control};
  const auto daemon = start_netsvcd(dir, hello_config(port), options);
  const auto stored = notify.next_with("FDSTORE");
  REQUIRE(stored);
  REQUIRE(stored->fds.size() == 1);
  REQUIRE(bound_address(stored->fds[0].get()) == fmt::format("127.0.0.1:{}", port));

  dir.write("netsvcd.yaml", hello_config_on(fmt::format("[::]:{}", port)));
  const auto result = run_netsvcd({"--reload", "--control-socket", control});
  CHECK(result.exit_code == 0);
  CHECK(result.err.empty());
  // Whatever the outcome, the port must be served afterwards (fetch throws if it hangs).
  CHECK(fetch("127.0.0.1", port, {}, 2s) == "Hello World\n");
  CHECK(fetch("::1", port, {}, 2s) == "Hello World\n");
  CHECK(daemon->count_log("cannot go back") == 0);
}

TEST_CASE("reload: --reload during a stop's drain is not done, and the drain goes on",
          "[reload][signals]") {
  const auto port = free_port();
  Reloadable server("shutdown_timeout: 1h\n" +
                    hello_config(port, "    write_timeout: 20s\n    message: " + large_message()));
  {
    Connection slow = start_slow_transfer(port);
    server.daemon->signal(SIGTERM);
    REQUIRE(server.daemon->wait_for_log("waiting up to 1h for 1 connection(s)"));

    // The stop closed the control socket with the listeners: nobody is there to ask.
    server.rewrite(hello_config(port, "    message: \"Too late\""));
    const auto result = server.reload();
    CHECK(result.exit_code == 3);
    const auto path = server.control.string();
    CHECK(result.err == fmt::format("netsvcd --reload: {}: No such file or directory (is netsvcd "
                                    "running with --control-socket {}?)\n",
                                    path, path));
    CHECK(server.daemon->count_log("reloading") == 0);

    const auto received = finish_slow_transfer(slow);
    const bool complete = received == large_message() + "\n";
    CHECK(complete);
  }  // the client closes, which ends the daemon's lingering close at once
  CHECK(server.daemon->wait_exit() == 0);
  CHECK(server.daemon->count_log("still open") == 0);
}

}  // namespace netsvcd::test
