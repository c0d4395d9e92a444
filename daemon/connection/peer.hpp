// Peer: the address and port a client connects from, as the kernel reported it on accept. A
// plain value; describe() formats it only when someone needs the words (a log line).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

#include <boost/asio/ip/address.hpp>

namespace netsvcd::connection {

struct Peer {
  boost::asio::ip::address address;
  std::uint16_t port = 0;

  // From what accept4 or recvfrom filled in; an unspecified address for a family other than
  // IPv4 and IPv6.
  static Peer from(const sockaddr_storage& storage);
  // "127.0.0.1:40312", "[::1]:40312", "[::ffff:127.0.0.1]:40312".
  std::string describe() const;
};

}  // namespace netsvcd::connection
