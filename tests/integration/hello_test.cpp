// Integration tests of the hello listener: the real netsvcd binary on loopback ports.
#include <fmt/format.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "asio.hpp"
#include "support/client.hpp"
#include "support/daemon_process.hpp"
#include "support/hello_config.hpp"
#include "support/ports.hpp"
#include "support/temp_dir.hpp"

namespace netsvcd::test {
namespace {

// A client that reads until the server closes: the test's own Asio loop, so that hundreds of
// them can be in flight at once on one thread.
asio::awaitable<void> read_one(std::uint16_t port, std::string& answer) {
  tcp::socket socket(co_await asio::this_coro::executor);
  co_await socket.async_connect({asio::ip::make_address("127.0.0.1"), port}, asio::use_awaitable);
  const auto [ec, bytes] =
      co_await asio::async_read(socket, asio::dynamic_buffer(answer), use_nothrow);
  (void)bytes;
  if (ec != asio::error::eof) answer = "error: " + ec.message();
}

}  // namespace

TEST_CASE("hello answers on IPv4, on IPv6 and mapped IPv4 on a dual-stack listener", "[hello]") {
  TempDir dir;
  const auto dual = free_port();
  const auto pair = free_port();
  const auto daemon = start_netsvcd(dir, fmt::format(R"(threads: 2
listeners:
  - name: hello
    kind: hello
    listen: "[::]:{}"
  - name: bonjour
    kind: hello
    listen: ["127.0.0.1:{}", "[::1]:{}"]
    message: "Bonjour le monde"
)",
                                                     dual, pair, pair));
  CHECK(daemon->count_log(
            fmt::format("listener hello (hello) listening on [::]:{} (IPv4 and IPv6)", dual)) == 1);
  CHECK(daemon->count_log(fmt::format(
            "listener bonjour (hello) listening on 127.0.0.1:{}, [::1]:{}", pair, pair)) == 1);

  CHECK(fetch("127.0.0.1", dual) == "Hello World\n");
  CHECK(daemon->wait_for_log("hello: connection from [::ffff:127.0.0.1]:"));
  CHECK(fetch("::1", dual) == "Hello World\n");
  CHECK(daemon->wait_for_log("hello: connection from [::1]:"));
  CHECK(fetch("127.0.0.1", pair) == "Bonjour le monde\n");
  CHECK(daemon->wait_for_log("bonjour: connection from 127.0.0.1:"));
  CHECK(fetch("::1", pair) == "Bonjour le monde\n");
}

TEST_CASE("v6only: true turns IPv4-mapped connections off on [::]", "[hello]") {
  TempDir dir;
  const auto port = free_port();
  const auto daemon = start_netsvcd(dir, fmt::format(R"(listeners:
  - name: six
    kind: hello
    listen: ["[::]:{}"]
    v6only: true
)",
                                                     port));
  CHECK(daemon->count_log(fmt::format("listening on [::]:{} (IPv6 only)", port)) == 1);
  CHECK(fetch("::1", port) == "Hello World\n");
  CHECK(refused("127.0.0.1", port));
}

TEST_CASE("hello answers a client that sends bytes first, without a reset", "[hello]") {
  TempDir dir;
  const auto port = free_port();
  const auto daemon = start_netsvcd(dir, hello_config(port));
  Connection connection("127.0.0.1", port);
  connection.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n" + std::string(10000, 'z'));
  CHECK(connection.read_to_end() == "Hello World\n");
  CHECK(connection.end_error() == 0);  // a FIN, not a reset that could lose the answer
}

TEST_CASE("hello gives a client that sends a line first its whole large answer, then a FIN",
          "[hello]") {
  // An answer larger than the socket buffers cannot be written at once, so the daemon finishes
  // it in a coroutine and then lingers: it reads the client's line instead of closing on it,
  // which would reset the connection and could destroy the end of the answer.
  TempDir dir;
  const auto port = free_port();
  const std::string message(kLargerThanSocketBuffers, 'h');
  const auto daemon = start_netsvcd(dir, hello_config(port, "    message: " + message));
  for (int i = 0; i < 3; ++i) {
    Connection connection("127.0.0.1", port);
    connection.send("a line the daemon never asked for\n");
    CHECK(connection.read_to_end(20s) == message + "\n");
    CHECK(connection.end_error() == 0);
  }
}

TEST_CASE("500 concurrent clients are all answered", "[hello][load]") {
  TempDir dir;
  const auto port = free_port();
  const auto daemon = start_netsvcd(dir, "threads: 2\n" + hello_config(port));
  const auto baseline = daemon->open_files();
  constexpr std::size_t kClients = 500;
  std::vector<std::string> answers(kClients);
  asio::io_context context;
  for (auto& answer : answers) {
    asio::co_spawn(context, read_one(port, answer), [&answer](const std::exception_ptr& error) {
      if (error) answer = "connect failed";
    });
  }
  // Bounded: the run ends when every client has its answer, or after 30 s at most.
  context.run_for(30s);
  std::size_t right = 0;
  for (const auto& answer : answers)
    right += answer == "Hello World\n";
  CHECK(right == kClients);
  CHECK(daemon->wait_open_files_at_most(baseline));
}

TEST_CASE("clients that never read do not stall other clients", "[hello][slow]") {
  TempDir dir;
  const auto port = free_port();
  // One pool thread and a payload the kernel cannot buffer: if a stalled write held the thread,
  // nobody else would be served before the minute-long write deadline.
  const std::string message(kLargerThanSocketBuffers, 'x');
  const auto daemon = start_netsvcd(dir, fmt::format(R"(threads: 1
listeners:
  - name: big
    kind: hello
    listen: ["127.0.0.1:{}"]
    write_timeout: 60s
    message: "{}"
)",
                                                     port, message));
  const auto baseline = daemon->open_files();
  std::vector<Connection> stalled;
  for (int i = 0; i < 8; ++i) {
    stalled.emplace_back("127.0.0.1", port, 5s, 4096);
  }
  // Each stalled client has its payload partly sent: the daemon is blocked on all of them.
  for (auto& connection : stalled) {
    CHECK(connection.read(1).size() == 1);
  }
  for (int i = 0; i < 4; ++i) {
    const bool whole = fetch("127.0.0.1", port, {}, 10s) == message + "\n";
    CHECK(whole);
  }
  // And the stalled ones are still stalled: their sockets are still open in the daemon.
  CHECK(daemon->open_files() >= baseline + stalled.size());
}

TEST_CASE("a client that never reads is cut off by the write deadline", "[hello][slow]") {
  TempDir dir;
  const auto port = free_port();
  const std::string message(kLargerThanSocketBuffers, 'x');
  const auto daemon = start_netsvcd(dir, fmt::format(R"(listeners:
  - name: big
    kind: hello
    listen: ["127.0.0.1:{}"]
    write_timeout: 300ms
    message: "{}"
)",
                                                     port, message));
  const auto baseline = daemon->open_files();
  Connection connection("127.0.0.1", port, 5s, 4096);
  REQUIRE(daemon->wait_for_log("big: connection from 127.0.0.1:"));
  CHECK(daemon->wait_for_log("write timed out after 300ms; resetting the connection"));
  CHECK(daemon->wait_open_files_at_most(baseline));
  const auto received = connection.read_to_end();
  CHECK(received.size() < message.size());
  CHECK(connection.end_error() == ECONNRESET);
}

}  // namespace netsvcd::test
