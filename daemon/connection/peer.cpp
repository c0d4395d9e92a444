#include "connection/peer.hpp"

#include <netinet/in.h>

#include <algorithm>

namespace netsvcd::connection {

Peer Peer::from(const sockaddr_storage& storage) {
  namespace ip = boost::asio::ip;
  if (storage.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(storage);
    return {ip::address_v4(ntohl(in.sin_addr.s_addr)), ntohs(in.sin_port)};
  }
  if (storage.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(storage);
    ip::address_v6::bytes_type bytes;
    std::copy(std::begin(in6.sin6_addr.s6_addr), std::end(in6.sin6_addr.s6_addr), bytes.begin());
    return {ip::address_v6(bytes, in6.sin6_scope_id), ntohs(in6.sin6_port)};
  }
  return {};
}

namespace {

std::string endpoint_text(const boost::asio::ip::address& address, std::uint16_t port) {
  const std::string port_text = std::to_string(port);
  if (address.is_v6()) return '[' + address.to_string() + "]:" + port_text;
  return address.to_string() + ':' + port_text;
}

}  // namespace

std::string Peer::describe() const {
  if (!via) return endpoint_text(address, port);
  return endpoint_text(address, port) + " via " + endpoint_text(via->address, via->port);
}

}  // namespace netsvcd::connection
