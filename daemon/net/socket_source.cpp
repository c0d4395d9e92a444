#include "net/socket_source.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace netsvcd::net {
namespace {

tcp protocol_of(const config::Endpoint& endpoint) {
  return endpoint.address.is_v4() ? tcp::v4() : tcp::v6();
}

}  // namespace

tcp::acceptor adopt_listening_socket(asio::io_context& context, const config::Endpoint& endpoint,
                                     int fd) {
  tcp::acceptor acceptor(context);
  boost::system::error_code ec;
  acceptor.assign(protocol_of(endpoint), fd, ec);
  if (ec) {
    ::close(fd);
    throw boost::system::system_error(ec, "adopting a listening socket");
  }
  return acceptor;
}

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
  acceptor.open(protocol_of(endpoint), ec);
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
  const int fd = acceptor.release(ec);
  if (ec) return ec.message();
  return adopt_listening_socket(context_, endpoint, fd);
}

std::optional<std::string> SocketSource::prepare(const config::Endpoint& endpoint) {
  if (offered_.contains(endpoint)) return std::nullopt;
  auto taken = take(endpoint);
  if (auto* error = std::get_if<std::string>(&taken)) return *error;
  offer(endpoint, std::move(std::get<tcp::acceptor>(taken)));
  return std::nullopt;
}

bool SocketSource::stop_listening(const config::Endpoint& endpoint) {
  const auto it = offered_.find(endpoint);
  if (it == offered_.end()) return false;
  // shutdown() on a listening socket stops it listening for every descriptor that refers to
  // it; with SO_REUSEADDR the bound but closed socket no longer blocks the port.
  ::shutdown(it->second.native_handle(), SHUT_RDWR);
  return true;
}

std::optional<std::string> SocketSource::listen_again(const config::Endpoint& endpoint) {
  const auto it = offered_.find(endpoint);
  if (it == offered_.end()) return "no socket for " + config::to_string(endpoint);
  boost::system::error_code ec;
  it->second.listen(tcp::acceptor::max_listen_connections, ec);
  if (ec) return ec.message();
  return std::nullopt;
}

std::vector<config::Endpoint> SocketSource::untaken() const {
  std::vector<config::Endpoint> endpoints;
  for (const auto& [endpoint, acceptor] : offered_)
    endpoints.push_back(endpoint);
  return endpoints;
}

}  // namespace netsvcd::net
