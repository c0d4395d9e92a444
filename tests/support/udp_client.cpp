#include "support/udp_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace netsvcd::test {
namespace {

sockaddr_storage make_address(std::string_view text, std::uint16_t port, socklen_t& length) {
  sockaddr_storage storage{};
  const std::string address(text);
  if (address.find(':') == std::string::npos) {
    auto& in = reinterpret_cast<sockaddr_in&>(storage);
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    if (::inet_pton(AF_INET, address.c_str(), &in.sin_addr) != 1)
      throw std::invalid_argument("bad IPv4 address " + address);
    length = sizeof in;
  } else {
    auto& in6 = reinterpret_cast<sockaddr_in6&>(storage);
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(port);
    if (::inet_pton(AF_INET6, address.c_str(), &in6.sin6_addr) != 1)
      throw std::invalid_argument("bad IPv6 address " + address);
    length = sizeof in6;
  }
  return storage;
}

[[noreturn]] void fail(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

UdpClient::UdpClient(std::string_view address, std::uint16_t port) {
  socklen_t length = 0;
  const auto local = make_address(address, port, length);
  fd_ = ::socket(local.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) fail("socket");
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&local), length) != 0) {
    const int error = errno;
    ::close(fd_);
    errno = error;
    fail("bind");
  }
}

UdpClient::~UdpClient() {
  if (fd_ >= 0) ::close(fd_);
}

void UdpClient::send(std::string_view payload, std::string_view address, std::uint16_t port) {
  socklen_t length = 0;
  const auto to = make_address(address, port, length);
  if (::sendto(fd_, payload.data(), payload.size(), 0, reinterpret_cast<const sockaddr*>(&to),
               length) != static_cast<ssize_t>(payload.size())) {
    fail("sendto");
  }
}

std::optional<Datagram> UdpClient::receive(std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (ready < 0) fail("poll");
  if (ready == 0) return std::nullopt;
  std::array<char, 65536> buffer;
  sockaddr_storage from{};
  socklen_t length = sizeof from;
  const ssize_t got = ::recvfrom(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT,
                                 reinterpret_cast<sockaddr*>(&from), &length);
  if (got < 0) fail("recvfrom");
  Datagram datagram{std::string(buffer.data(), static_cast<std::size_t>(got)), {}, 0};
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (from.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(from);
    ::inet_ntop(AF_INET, &in.sin_addr, text.data(), text.size());
    datagram.from_port = ntohs(in.sin_port);
  } else {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(from);
    ::inet_ntop(AF_INET6, &in6.sin6_addr, text.data(), text.size());
    datagram.from_port = ntohs(in6.sin6_port);
  }
  datagram.from_address = text.data();
  return datagram;
}

std::uint16_t UdpClient::port() const {
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &length) != 0) fail("getsockname");
  return ntohs(local.ss_family == AF_INET ? reinterpret_cast<const sockaddr_in&>(local).sin_port
                                          : reinterpret_cast<const sockaddr_in6&>(local).sin6_port);
}

}  // namespace netsvcd::test
