// UdpClient: a UDP socket on loopback for tests, sending datagrams and waiting (with a deadline)
// for answers, with the address each answer came from. Owns its socket; one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace netsvcd::test {

using namespace std::chrono_literals;

struct Datagram {
  std::string payload;
  std::string from_address;  // "127.0.0.1", "::1"
  std::uint16_t from_port = 0;
};

class UdpClient {
 public:
  // A socket of `address`'s family, bound to `address` and `port` (0: any port the kernel picks).
  explicit UdpClient(std::string_view address, std::uint16_t port = 0);
  ~UdpClient();
  UdpClient(const UdpClient&) = delete;
  UdpClient& operator=(const UdpClient&) = delete;

  void send(std::string_view payload, std::string_view address, std::uint16_t port);
  // The next answer, or nullopt if none comes within `timeout`.
  std::optional<Datagram> receive(std::chrono::milliseconds timeout = 5s);
  // An answer already waiting, without waiting for one.
  std::optional<Datagram> waiting() { return receive(0ms); }
  std::uint16_t port() const;

 private:
  int fd_ = -1;
};

}  // namespace netsvcd::test
