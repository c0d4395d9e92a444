// Integration tests of netsvcd under faults: ports it cannot have, stop signals with connections
// in flight, descriptor exhaustion, resets. The real binary on loopback ports.
#include <fmt/format.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <fstream>
#include <sstream>
#include <vector>

#include "support/client.hpp"
#include "support/daemon_process.hpp"
#include "support/hello_config.hpp"
#include "support/port_squatter.hpp"
#include "support/ports.hpp"
#include "support/temp_dir.hpp"

namespace netsvcd::test {
namespace {

std::string message_of_size(std::size_t size) {
  return std::string(size, 'm');
}

// A config whose hello answer the kernel cannot buffer, so a client that reads slowly keeps the
// connection in flight; `settings` go at the top level.
std::string large_answer_config(std::uint16_t port, std::string_view settings,
                                std::string_view write_timeout) {
  return std::string(settings) + "\n" +
         hello_config(port, fmt::format("    write_timeout: {}\n    message: {}", write_timeout,
                                        message_of_size(kLargerThanSocketBuffers)));
}

// A client with a small receive window that has taken the first byte of its answer: proof that
// the daemon is mid-write.
Connection start_slow_transfer(std::uint16_t port) {
  Connection connection("127.0.0.1", port, 5s, 4096);
  CHECK(connection.read(1) == "m");
  return connection;
}

}  // namespace

TEST_CASE("a port in use stops start-up with one line naming listener and address", "[faults]") {
  TempDir dir;
  const auto port = free_port();
  PortSquatter squatter(port);
  const auto config = dir.write("netsvcd.yaml", hello_config(port));
  const auto result = run_netsvcd({"-c", config.string()});
  CHECK(result.exit_code == 3);
  CHECK(result.err.ends_with(fmt::format(
      "error listener hello: cannot listen on 127.0.0.1:{}: Address already in use\n", port)));
  CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
}

TEST_CASE("a privileged port without permission stops start-up with a clear line", "[faults]") {
  std::ifstream unprivileged_start("/proc/sys/net/ipv4/ip_unprivileged_port_start");
  int first_unprivileged = 1024;
  unprivileged_start >> first_unprivileged;
  if (first_unprivileged <= 7) {
    WARN("every port is unprivileged on this host; nothing to test");
    return;
  }
  TempDir dir;
  const auto config = dir.write("netsvcd.yaml", hello_config(7));
  // As root the test runs netsvcd as nobody, who may not bind port 7.
  DaemonProcess process(
      {"-c", config.string()},
      {.program = {}, .max_open_files = std::nullopt, .drop_privileges = true, .environment = {}});
  CHECK(process.wait_exit(20s) == 3);
  CHECK(process.err().ends_with(
      "error listener hello: cannot listen on 127.0.0.1:7: Permission denied (ports below 1024 "
      "need root or CAP_NET_BIND_SERVICE)\n"));
}

TEST_CASE("SIGTERM and SIGINT stop netsvcd with exit 0 and free its ports", "[faults][signals]") {
  for (const int signal : {SIGTERM, SIGINT}) {
    TempDir dir;
    const auto port = free_port();
    const auto daemon = start_netsvcd(dir, hello_config(port));
    CHECK(fetch("127.0.0.1", port) == "Hello World\n");
    daemon->signal(signal);
    CHECK(daemon->wait_exit() == 0);
    CHECK(daemon->count_log("stopped after serving 1 connection(s)") == 1);
    CHECK(refused("127.0.0.1", port));
    PortSquatter rebind(port);  // REQUIREs that the port can be bound again
  }
}

TEST_CASE("SIGTERM lets a connection in flight finish", "[faults][signals]") {
  TempDir dir;
  const auto port = free_port();
  const auto daemon = start_netsvcd(dir, large_answer_config(port, "", "10s"));
  Connection slow = start_slow_transfer(port);
  std::string received = "m";  // the byte start_slow_transfer took
  daemon->signal(SIGTERM);
  REQUIRE(daemon->wait_for_log(
      "received SIGTERM: stopping; no longer accepting; waiting up to 5s for 1 connection(s)"));
  CHECK(refused("127.0.0.1", port));  // no longer accepting
  received += slow.read_to_end();
  const bool complete = received == message_of_size(kLargerThanSocketBuffers) + "\n";
  CHECK(complete);
  CHECK(daemon->wait_exit() == 0);
  CHECK(daemon->count_log("still open") == 0);
}

TEST_CASE("the stop waits at most shutdown_timeout for connections in flight",
          "[faults][signals]") {
  TempDir dir;
  const auto port = free_port();
  const auto daemon =
      start_netsvcd(dir, large_answer_config(port, "shutdown_timeout: 300ms", "60s"));
  const Connection stalled = start_slow_transfer(port);
  CHECK(daemon->stop() == 0);
  CHECK(daemon->count_log("closing 1 connection(s) still open after 300ms") == 1);
}

TEST_CASE("a second stop signal ends the wait at once", "[faults][signals]") {
  TempDir dir;
  const auto port = free_port();
  const auto daemon = start_netsvcd(dir, large_answer_config(port, "shutdown_timeout: 1h", "1h"));
  const Connection stalled = start_slow_transfer(port);
  daemon->signal(SIGTERM);
  REQUIRE(daemon->wait_for_log("waiting up to 1h for 1 connection(s)"));
  daemon->signal(SIGINT);
  CHECK(daemon->wait_exit() == 0);
  CHECK(daemon->count_log("closing 1 connection(s) still open on a second signal") == 1);
}

TEST_CASE("SIGHUP reloads without stopping netsvcd, and cuts no stop's wait short",
          "[faults][signals]") {
  TempDir dir;
  const auto port = free_port();
  const auto daemon = start_netsvcd(dir, large_answer_config(port, "shutdown_timeout: 1h", "1h"));
  daemon->signal(SIGHUP);
  REQUIRE(daemon->wait_for_log("received SIGHUP: reloading"));
  REQUIRE(daemon->wait_for_log("reloaded "));
  CHECK(fetch("127.0.0.1", port, {}, 10s).size() == kLargerThanSocketBuffers + 1);

  Connection slow = start_slow_transfer(port);
  daemon->signal(SIGTERM);
  REQUIRE(daemon->wait_for_log("waiting up to 1h for 1 connection(s)"));
  daemon->signal(SIGHUP);
  REQUIRE(daemon->wait_for_log("received SIGHUP while stopping: not reloading"));
  // The transfer in flight still completes, and only then does the daemon exit.
  CHECK(slow.read_to_end(20s).size() == kLargerThanSocketBuffers);
  CHECK(daemon->wait_exit() == 0);
  CHECK(daemon->count_log("still open") == 0);
}

// CPU time the process has used, user and system, from /proc.
std::chrono::milliseconds cpu_time(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  // Fields after the command's closing parenthesis: state is field 3, utime 14, stime 15.
  std::istringstream fields(line.substr(line.rfind(')') + 2));
  std::string field;
  long long utime = 0;
  long long stime = 0;
  for (int number = 3; number <= 15 && fields >> field; ++number) {
    if (number == 14) utime = std::stoll(field);
    if (number == 15) stime = std::stoll(field);
  }
  return std::chrono::milliseconds((utime + stime) * 1000 / ::sysconf(_SC_CLK_TCK));
}

TEST_CASE(
    "a tiny descriptor limit: connections wait at the cap, nothing spins, all are served, "
    "and a reload still works",
    "[faults][emfile]") {
  TempDir dir;
  const auto port = free_port();
  LaunchOptions options;
  options.max_open_files = 64;
  options.extra_args = {"--control-socket", (dir.path() / "control").string()};
  const auto daemon = start_netsvcd(dir, large_answer_config(port, "threads: 2", "60s"), options);
  REQUIRE(daemon->wait_for_log("descriptor limit 64 (hard limit 64): at most "));
  // Holders connect and do not read yet: each one the daemon accepts keeps a descriptor while
  // its answer, larger than the socket buffers, is on its way, so together they reach the
  // daemon's cap and the rest wait in the backlog.
  std::vector<Connection> holders;
  for (int i = 0; i < 80; ++i)
    holders.emplace_back("127.0.0.1", port, 5s, 4096);
  const std::string paused =
      "accept on 127.0.0.1:" + std::to_string(port) + " paused: netsvcd holds";
  REQUIRE(daemon->wait_for_log("hello: not accepting on 127.0.0.1:" + std::to_string(port) +
                               " for now: netsvcd holds "));
  // While it waits, it does not spin: ten pauses of 100 ms (a second) cost a fraction of that.
  REQUIRE(daemon->wait_for_log_count(paused, 2));
  const auto cpu_before = cpu_time(daemon->pid());
  const auto waited_from = std::chrono::steady_clock::now();
  REQUIRE(daemon->wait_for_log_count(paused, 12));
  const auto waited = std::chrono::steady_clock::now() - waited_from;
  CHECK(cpu_time(daemon->pid()) - cpu_before < waited / 5);
  CHECK(daemon->count_log("Too many open files") == 0);

  // Every client is served once places free up; none is lost. A holder read to its end frees a
  // place, which the next one in the backlog takes.
  const std::string answer = message_of_size(kLargerThanSocketBuffers) + "\n";
  for (auto& holder : holders)
    CHECK(holder.read_to_end(20s) == answer);
  // One warning per 5 s at most.
  const auto elapsed = std::chrono::steady_clock::now() - waited_from;
  CHECK(daemon->count_log("for now: netsvcd holds") <= static_cast<std::size_t>(elapsed / 5s + 2));

  const auto reload =
      run_netsvcd({"--reload", "--control-socket", (dir.path() / "control").string()});
  CHECK(reload.exit_code == 0);
  for (int i = 0; i < 10; ++i)
    CHECK(fetch("127.0.0.1", port, {}, 20s) == answer);
  CHECK(daemon->stop() == 0);
}

TEST_CASE("clients that reset at once leave no descriptor behind", "[faults]") {
  TempDir dir;
  const auto port = free_port();
  const auto daemon = start_netsvcd(dir, hello_config(port));
  const auto baseline = daemon->open_files();
  for (int i = 0; i < 200; ++i) {
    Connection connection("127.0.0.1", port);
    if (i % 2 == 0) connection.send("garbage\x01\x02\xff");
    connection.reset();
  }
  CHECK(daemon->wait_open_files_at_most(baseline));
  CHECK(fetch("127.0.0.1", port) == "Hello World\n");
  CHECK(daemon->stop() == 0);
}

}  // namespace netsvcd::test
