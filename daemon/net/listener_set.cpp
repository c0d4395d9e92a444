#include "net/listener_set.hpp"

#include <algorithm>

#include "log.hpp"
#include "services/service.hpp"

namespace netsvcd::net {

std::string describe_endpoint(const config::Endpoint& endpoint) {
  std::string out = config::to_string(endpoint);
  if (endpoint.address.is_v6() && endpoint.address.is_unspecified()) {
    out += endpoint.v6only ? " (IPv6 only)" : " (IPv4 and IPv6)";
  }
  return out;
}

std::string describe_endpoints(const config::ListenerConfig& listener) {
  std::string out;
  for (const auto& endpoint : listener.endpoints) {
    if (!out.empty()) out += ", ";
    out += describe_endpoint(endpoint);
  }
  return out;
}

std::variant<ListenerSet, OpenError> ListenerSet::open(asio::io_context& context,
                                                       const config::Config& config,
                                                       SocketSource& sockets,
                                                       ConnectionTracker& tracker) {
  std::vector<ListeningSocket> taken;
  std::optional<OpenError> error;
  for (const auto& listener : config.listeners) {
    for (const auto& endpoint : listener.endpoints) {
      auto socket = sockets.take(endpoint);
      if (auto* message = std::get_if<std::string>(&socket)) {
        error = OpenError{listener.name, "listener " + listener.name + ": cannot listen on " +
                                             config::to_string(endpoint) + ": " + *message};
        break;
      }
      taken.push_back({endpoint, std::move(std::get<tcp::acceptor>(socket))});
    }
    if (error) break;
  }
  if (error) {
    // A refused reload goes back to the sockets it came from.
    for (auto& socket : taken)
      sockets.offer(socket.endpoint, std::move(socket.acceptor));
    return *error;
  }

  ListenerSet set;
  auto next = taken.begin();
  for (const auto& listener : config.listeners) {
    std::vector<ListeningSocket> own;
    for (std::size_t i = 0; i < listener.endpoints.size(); ++i)
      own.push_back(std::move(*next++));
    set.listeners_.push_back(
        std::make_shared<Listener>(context, listener, std::move(own), tracker));
  }
  return set;
}

void ListenerSet::start() {
  for (const auto& listener : listeners_) {
    const auto& config = listener->config();
    const auto summary = config.service->summary();
    log_with({.listener = config.name}, spdlog::level::info, "listener {} ({}) listening on {}{}",
             config.name, config.kind, describe_endpoints(config),
             summary.empty() ? summary : "; " + summary);
    listener->start();
  }
}

asio::awaitable<void> ListenerSet::stop() {
  for (const auto& listener : listeners_)
    co_await listener->stop();
}

asio::awaitable<void> ListenerSet::release(SocketSource& sockets) {
  for (const auto& listener : listeners_) {
    for (auto& socket : co_await listener->release_sockets())
      sockets.offer(socket.endpoint, std::move(socket.acceptor));
  }
}

std::vector<std::pair<std::string, std::vector<int>>> ListenerSet::native_handles() const {
  std::vector<std::pair<std::string, std::vector<int>>> handles;
  for (const auto& listener : listeners_)
    handles.emplace_back(listener->config().name, listener->native_handles());
  return handles;
}

std::size_t ListenerSet::endpoint_count() const {
  std::size_t count = 0;
  for (const auto& listener : listeners_)
    count += listener->config().endpoints.size();
  return count;
}

bool ListenerSet::listens_on(const config::Endpoint& endpoint) const {
  return std::ranges::any_of(listeners_, [&](const auto& listener) {
    return std::ranges::find(listener->config().endpoints, endpoint) !=
           listener->config().endpoints.end();
  });
}

}  // namespace netsvcd::net
