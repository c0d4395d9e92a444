#include "net/socket_source.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace netsvcd::net {

void SocketSource::offer(const config::Endpoint& endpoint, UniqueFd fd, bool adopted) {
  offered_.insert_or_assign(endpoint, ListeningSocket{endpoint, std::move(fd), adopted});
}

std::variant<ListeningSocket, std::string> SocketSource::take(const config::Endpoint& endpoint) {
  if (auto it = offered_.find(endpoint); it != offered_.end()) {
    ListeningSocket socket = std::move(it->second);
    offered_.erase(it);
    if (auto error = make_non_blocking(socket.fd.get())) return *error;
    if (endpoint.transport == config::Transport::udp) {
      const int family = endpoint.address.is_v4() ? AF_INET : AF_INET6;
      if (auto error = prepare_datagram_socket(socket.fd.get(), family)) return *error;
    }
    return socket;
  }
  auto bound = bind_listening_socket(endpoint);
  if (auto* error = std::get_if<std::string>(&bound)) return std::move(*error);
  return ListeningSocket{endpoint, std::move(std::get<UniqueFd>(bound))};
}

std::optional<std::string> SocketSource::prepare(const config::Endpoint& endpoint) {
  if (offered_.contains(endpoint)) return std::nullopt;
  auto taken = take(endpoint);
  if (auto* error = std::get_if<std::string>(&taken)) return *error;
  offer(std::move(std::get<ListeningSocket>(taken)));
  return std::nullopt;
}

bool SocketSource::stop_listening(const config::Endpoint& endpoint) {
  const auto it = offered_.find(endpoint);
  if (it == offered_.end()) return false;
  // shutdown() on a listening socket stops it listening for every descriptor that refers to
  // it; with SO_REUSEADDR the bound but closed socket no longer blocks the port.
  ::shutdown(it->second.fd.get(), SHUT_RDWR);
  return true;
}

std::optional<std::string> SocketSource::listen_again(const config::Endpoint& endpoint) {
  const auto it = offered_.find(endpoint);
  if (it == offered_.end()) return "no socket for " + config::to_string(endpoint);
  if (::listen(it->second.fd.get(), SOMAXCONN) != 0) return std::strerror(errno);
  return std::nullopt;
}

std::vector<config::Endpoint> SocketSource::untaken() const {
  std::vector<config::Endpoint> endpoints;
  for (const auto& [endpoint, socket] : offered_)
    endpoints.push_back(endpoint);
  return endpoints;
}

}  // namespace netsvcd::net
