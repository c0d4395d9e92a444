// Blocking loopback clients for integration tests, each call bounded by a deadline. Connection
// owns its descriptor. Not shared between threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace netsvcd::test {

using namespace std::chrono_literals;

// A payload larger than both kernel socket buffers of a loopback connection together (tcp_wmem's
// 4 MiB maximum and a small receive window): writing it to a client that does not read stays
// pending, which is what tests of write deadlines and stalled clients need.
inline constexpr std::size_t kLargerThanSocketBuffers = 8 * 1024 * 1024;

class Connection {
 public:
  // Connects to `address` ("127.0.0.1", "::1") and `port`. With `receive_buffer` set, SO_RCVBUF
  // is set before connecting (so the kernel advertises a small window: a client that never
  // reads). With `source`, connects from that local address ("127.0.0.2"). Throws if the
  // connection is refused or the deadline passes.
  Connection(std::string_view address, std::uint16_t port, std::chrono::milliseconds timeout = 5s,
             std::optional<int> receive_buffer = std::nullopt, std::string_view source = {});
  ~Connection();
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&&) = delete;
  Connection(const Connection&) = delete;

  int fd() const { return fd_; }
  void send(std::string_view data);
  // Reads up to `count` bytes, or less if the server closes first; throws on a timeout.
  std::string read(std::size_t count, std::chrono::milliseconds timeout = 5s);
  // Reads what has arrived, waiting for at least one byte; empty once the server has closed.
  // Throws on a timeout.
  std::string read_some(std::chrono::milliseconds timeout = 5s);
  // Reads until the server closes the connection (EOF or reset); throws on a timeout.
  std::string read_to_end(std::chrono::milliseconds timeout = 5s);
  // errno of the read that ended read_to_end: 0 for a clean EOF, ECONNRESET for a reset.
  int end_error() const { return end_error_; }
  // Closes with a reset (SO_LINGER 0) instead of a FIN.
  void reset();

 private:
  int fd_ = -1;
  int end_error_ = 0;
};

// Connects, optionally sends `request`, and returns everything the server sends until it closes.
std::string fetch(std::string_view address, std::uint16_t port, std::string_view request = {},
                  std::chrono::milliseconds timeout = 5s);

// One kept-alive request, `GET path HTTP/1.1` with `Host: test`, and what came back: the head
// and then Content-Length bytes. `complete` is false if the server closed before all of it.
struct HttpAnswer {
  std::string text;
  bool complete = false;
};
HttpAnswer http_get(Connection& connection, std::string_view path);

// True if a connection to address:port is refused (nothing listens there).
bool refused(std::string_view address, std::uint16_t port);

// Waits until something accepts connections on address:port; false if the deadline passes.
// The connection it makes is closed at once.
bool wait_for_port(std::string_view address, std::uint16_t port,
                   std::chrono::milliseconds timeout = 10s);

}  // namespace netsvcd::test
