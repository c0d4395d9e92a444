// Peer: the client of a connection, by address and port: as the kernel reported it on accept,
// or, behind a proxy that speaks the PROXY protocol, the client its header names, with the
// proxy's own address kept beside it (`via`). Limits, access lists, services and logs all go by
// the client. A plain value; describe() formats it only when someone needs the words (a log
// line).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>

#include <boost/asio/ip/address.hpp>

namespace netsvcd::connection {

struct Peer {
  // The connection's real peer when a PROXY header named the client: the proxy.
  struct Via {
    boost::asio::ip::address address;
    std::uint16_t port = 0;
  };

  boost::asio::ip::address address;
  std::uint16_t port = 0;
  std::optional<Via> via{};

  // From what accept4 or recvfrom filled in; an unspecified address for a family other than
  // IPv4 and IPv6.
  static Peer from(const sockaddr_storage& storage);
  // This client, as the proxy `proxy` (the connection's real peer) relayed it.
  Peer relayed_by(const Peer& proxy) const {
    return {address, port, Via{proxy.address, proxy.port}};
  }
  // Whether the socket itself is IPv4 (the proxy's family, when there is one).
  bool socket_is_v4() const { return via ? via->address.is_v4() : address.is_v4(); }
  // "127.0.0.1:40312", "[::1]:40312", "[::ffff:127.0.0.1]:40312"; behind a proxy
  // "203.0.113.7:5555 via 127.0.0.1:40000".
  std::string describe() const;
};

}  // namespace netsvcd::connection
