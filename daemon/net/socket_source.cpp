#include "net/socket_source.hpp"

#include <cerrno>

namespace netsvcd::net {

void SocketSource::offer(const config::Endpoint& endpoint, tcp::acceptor acceptor) {
  offered_.insert_or_assign(endpoint, std::move(acceptor));
}

std::variant<tcp::acceptor, std::string> SocketSource::take(const config::Endpoint& endpoint) {
  if (auto it = offered_.find(endpoint); it != offered_.end()) {
    tcp::acceptor acceptor = std::move(it->second);
    offered_.erase(it);
    return acceptor;
  }

  const tcp::endpoint address(endpoint.address, endpoint.port);
  tcp::acceptor acceptor(context_);
  boost::system::error_code ec;
  acceptor.open(address.protocol(), ec);
  // Restarting must not wait for old connections in TIME_WAIT. SO_REUSEPORT stays off: it
  // would let a second daemon bind the same port silently.
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec && endpoint.address.is_v6()) acceptor.set_option(asio::ip::v6_only(endpoint.v6only), ec);
  if (!ec) acceptor.bind(address, ec);
  if (!ec) acceptor.listen(tcp::acceptor::max_listen_connections, ec);
  if (ec) {
    std::string message = ec.message();
    if (ec.value() == EACCES && endpoint.port < 1024) {
      message += " (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
    } else if (ec.value() == EADDRNOTAVAIL) {
      message += " (no interface of this host has that address)";
    }
    return message;
  }
  return acceptor;
}

}  // namespace netsvcd::net
