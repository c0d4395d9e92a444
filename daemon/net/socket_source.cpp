#include "net/socket_source.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace netsvcd::net {

void SocketSource::offer(const config::Endpoint& endpoint, UniqueFd fd) {
  offered_.insert_or_assign(endpoint, std::move(fd));
}

std::variant<UniqueFd, std::string> SocketSource::take(const config::Endpoint& endpoint) {
  if (auto it = offered_.find(endpoint); it != offered_.end()) {
    UniqueFd fd = std::move(it->second);
    offered_.erase(it);
    if (auto error = make_non_blocking(fd.get())) return *error;
    return fd;
  }
  return bind_listening_socket(endpoint);
}

std::optional<std::string> SocketSource::prepare(const config::Endpoint& endpoint) {
  if (offered_.contains(endpoint)) return std::nullopt;
  auto taken = take(endpoint);
  if (auto* error = std::get_if<std::string>(&taken)) return *error;
  offer(endpoint, std::move(std::get<UniqueFd>(taken)));
  return std::nullopt;
}

bool SocketSource::stop_listening(const config::Endpoint& endpoint) {
  const auto it = offered_.find(endpoint);
  if (it == offered_.end()) return false;
  // shutdown() on a listening socket stops it listening for every descriptor that refers to
  // it; with SO_REUSEADDR the bound but closed socket no longer blocks the port.
  ::shutdown(it->second.get(), SHUT_RDWR);
  return true;
}

std::optional<std::string> SocketSource::listen_again(const config::Endpoint& endpoint) {
  const auto it = offered_.find(endpoint);
  if (it == offered_.end()) return "no socket for " + config::to_string(endpoint);
  if (::listen(it->second.get(), SOMAXCONN) != 0) return std::strerror(errno);
  return std::nullopt;
}

std::vector<config::Endpoint> SocketSource::untaken() const {
  std::vector<config::Endpoint> endpoints;
  for (const auto& [endpoint, fd] : offered_)
    endpoints.push_back(endpoint);
  return endpoints;
}

}  // namespace netsvcd::net
