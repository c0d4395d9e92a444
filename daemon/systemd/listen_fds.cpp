#include "systemd/listen_fds.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

namespace netsvcd::systemd {
namespace {

// The identity the config would give this socket, so that matching is plain equality.
std::optional<config::Endpoint> listening_endpoint(int fd) {
  config::Transport transport = config::Transport::tcp;
  if (::sd_is_socket(fd, AF_UNSPEC, SOCK_DGRAM, -1) > 0) {
    transport = config::Transport::udp;
  } else if (::sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
    return std::nullopt;
  }
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return std::nullopt;
  if (storage.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(storage);
    return config::Endpoint{boost::asio::ip::address_v4(ntohl(in.sin_addr.s_addr)),
                            ntohs(in.sin_port), false, transport};
  }
  if (storage.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(storage);
    boost::asio::ip::address_v6::bytes_type bytes;
    std::copy(std::begin(in6.sin6_addr.s6_addr), std::end(in6.sin6_addr.s6_addr), bytes.begin());
    const boost::asio::ip::address_v6 address(bytes, in6.sin6_scope_id);
    // Only the wildcard's IPV6_V6ONLY matters; a specific IPv6 address never takes IPv4.
    bool v6only = true;
    if (address.is_unspecified()) {
      int value = 0;
      socklen_t size = sizeof value;
      if (::getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &value, &size) != 0) return std::nullopt;
      v6only = value != 0;
    }
    return config::Endpoint{address, ntohs(in6.sin6_port), v6only, transport};
  }
  return std::nullopt;
}

}  // namespace

std::vector<PassedSocket> take_passed_sockets() {
  char** raw_names = nullptr;
  const int count = ::sd_listen_fds_with_names(1, &raw_names);
  // sd_listen_fds_with_names allocates the array and each name with malloc.
  const auto free_names = [count](char** names) {
    for (int i = 0; names && i < count; ++i)
      std::free(names[i]);
    std::free(names);
  };
  const std::unique_ptr<char*, decltype(free_names)> names(raw_names, free_names);
  if (count < 0) {
    spdlog::warn("cannot read the sockets systemd passed: {}", std::strerror(-count));
    return {};
  }

  std::vector<PassedSocket> sockets;
  for (int i = 0; i < count; ++i) {
    UniqueFd fd(SD_LISTEN_FDS_START + i);
    const std::string name = names && names.get()[i] ? names.get()[i] : "unknown";
    const auto endpoint = listening_endpoint(fd.get());
    if (!endpoint) {
      spdlog::warn(
          "descriptor {} passed by systemd ({}) is neither a listening TCP socket nor a UDP "
          "socket; closed",
          fd.get(), name);
      continue;
    }
    sockets.push_back({name, *endpoint, std::move(fd)});
  }
  return sockets;
}

}  // namespace netsvcd::systemd
