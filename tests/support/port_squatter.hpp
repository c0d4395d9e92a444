// PortSquatter: a listening socket the test holds, standing for "another program has the port".
// Header-only; owned by one test.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace netsvcd::test {

class PortSquatter {
 public:
  // Listens on `address` ("127.0.0.1", "::1") and `port`; an IPv6 address is bound IPv6-only,
  // so it takes that address and nothing more.
  explicit PortSquatter(std::uint16_t port, std::string_view address = "127.0.0.1") {
    const std::string text(address);
    sockaddr_storage storage{};
    socklen_t length = 0;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
    if (::inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      v4->sin_port = htons(port);
      length = sizeof(sockaddr_in);
    } else {
      REQUIRE(::inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) == 1);
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(port);
      length = sizeof(sockaddr_in6);
    }
    fd_ = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    const int on = 1;
    if (storage.ss_family == AF_INET6) ::setsockopt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    // As any server would, so that connections of an earlier owner in TIME_WAIT do not count.
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&storage), length) == 0);
    REQUIRE(::listen(fd_, 1) == 0);
  }
  ~PortSquatter() { ::close(fd_); }
  PortSquatter(const PortSquatter&) = delete;
  PortSquatter& operator=(const PortSquatter&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace netsvcd::test
