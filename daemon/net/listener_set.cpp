#include "net/listener_set.hpp"

#include <spdlog/spdlog.h>

#include "services/service.hpp"

namespace netsvcd::net {
namespace {

std::string describe_endpoints(const config::ListenerConfig& listener) {
  std::string out;
  for (const auto& endpoint : listener.endpoints) {
    if (!out.empty()) out += ", ";
    out += config::to_string(endpoint);
    if (endpoint.address.is_v6() && endpoint.address.is_unspecified()) {
      out += endpoint.v6only ? " (IPv6 only)" : " (IPv4 and IPv6)";
    }
  }
  return out;
}

}  // namespace

std::variant<ListenerSet, std::string> ListenerSet::open(asio::io_context& context,
                                                         const config::Config& config,
                                                         SocketSource& sockets,
                                                         ConnectionTracker& tracker) {
  ListenerSet set;
  for (const auto& listener : config.listeners) {
    std::vector<ListeningSocket> bound;
    for (const auto& endpoint : listener.endpoints) {
      auto taken = sockets.take(endpoint);
      if (auto* error = std::get_if<std::string>(&taken)) {
        return "listener " + listener.name + ": cannot listen on " + config::to_string(endpoint) +
               ": " + *error;
      }
      bound.push_back({endpoint, std::move(std::get<tcp::acceptor>(taken))});
    }
    set.listeners_.push_back(
        std::make_shared<Listener>(context, listener, std::move(bound), tracker));
  }
  return set;
}

void ListenerSet::start() {
  for (const auto& listener : listeners_) {
    const auto summary = listener->config().service->summary();
    spdlog::info("listener {} ({}) listening on {}{}", listener->config().name,
                 listener->config().kind, describe_endpoints(listener->config()),
                 summary.empty() ? summary : "; " + summary);
    listener->start();
  }
}

asio::awaitable<void> ListenerSet::stop() {
  for (const auto& listener : listeners_)
    co_await listener->stop();
}

std::size_t ListenerSet::endpoint_count() const {
  std::size_t count = 0;
  for (const auto& listener : listeners_)
    count += listener->config().endpoints.size();
  return count;
}

}  // namespace netsvcd::net
