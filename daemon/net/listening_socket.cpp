#include "net/listening_socket.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "asio.hpp"
#include "connection/datagram_batch.hpp"

namespace netsvcd::net {

std::variant<UniqueFd, std::string> bind_listening_socket(const config::Endpoint& endpoint) {
  const bool stream = endpoint.transport == config::Transport::tcp;
  const int family = endpoint.address.is_v4() ? AF_INET : AF_INET6;
  UniqueFd fd(
      ::socket(family, (stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  const auto failure = [&endpoint](int error) {
    std::string message = std::strerror(error);
    if (error == EACCES && endpoint.port < 1024) {
      message += " (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
    } else if (error == EADDRNOTAVAIL) {
      message += " (no interface of this host has that address)";
    }
    return message;
  };
  if (!fd) return failure(errno);
  // Restarting must not wait for old connections in TIME_WAIT. SO_REUSEPORT stays off: it
  // would let a second daemon bind the same port silently, and so would SO_REUSEADDR on UDP,
  // which has no TIME_WAIT to skip.
  const int on = 1;
  if (stream && ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0) {
    return failure(errno);
  }
  if (family == AF_INET6) {
    const int v6only = endpoint.v6only ? 1 : 0;
    if (::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only) != 0) {
      return failure(errno);
    }
  }
  const tcp::endpoint address(endpoint.address, endpoint.port);
  if (::bind(fd.get(), address.data(), static_cast<socklen_t>(address.size())) != 0) {
    return failure(errno);
  }
  if (stream && ::listen(fd.get(), SOMAXCONN) != 0) return failure(errno);
  if (!stream) {
    if (auto error = prepare_datagram_socket(fd.get(), family)) return *error;
  }
  return fd;
}

std::optional<std::string> prepare_datagram_socket(int fd, int family) {
  return connection::enable_destination_info(fd, family);
}

std::optional<std::string> make_non_blocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return std::strerror(errno);
  return std::nullopt;
}

}  // namespace netsvcd::net
