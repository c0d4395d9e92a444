#include "net/listener_set.hpp"

#include <algorithm>

#include "log.hpp"
#include "services/service.hpp"

namespace netsvcd::net {
namespace {

constexpr std::string_view kStillServing =
    "reload refused; still serving the previous configuration";

const config::ListenerConfig* find_listener(const config::Config& config, std::string_view name) {
  for (const auto& listener : config.listeners)
    if (listener.name == name) return &listener;
  return nullptr;
}

}  // namespace

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

std::variant<ListenerSet, OpenError> ListenerSet::open(IoPool& pool, const config::Config& config,
                                                       SocketSource& sockets,
                                                       connection::ConnectionCounts& counts,
                                                       const ListenerLoads& loads) {
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
      taken.push_back(std::move(std::get<ListeningSocket>(socket)));
    }
    if (error) break;
  }
  if (error) {
    // A refused reload goes back to the sockets it came from.
    for (auto& socket : taken)
      sockets.offer(std::move(socket));
    return *error;
  }

  ListenerSet set(pool, counts);
  auto next = taken.begin();
  for (const auto& listener : config.listeners) {
    std::vector<ListeningSocket> own;
    for (std::size_t i = 0; i < listener.endpoints.size(); ++i)
      own.push_back(std::move(*next++));
    const auto carried = loads.find(listener.name);
    set.listeners_.push_back(std::make_shared<Listener>(
        pool, listener, std::move(own), counts,
        carried != loads.end() ? carried->second
                               : std::make_shared<connection::ListenerLoad>(pool.size())));
  }
  return set;
}

asio::awaitable<Replacement> ListenerSet::replace(const config::Config& current,
                                                  const config::Config& next) {
  SocketSource sockets;

  // 1. Bind every new address while the running listeners go on accepting. An address that
  //    clashes with a running one it replaces ([::]:P for 0.0.0.0:P) waits for step 3.
  std::vector<std::pair<const config::ListenerConfig*, config::Endpoint>> replacing;
  for (const auto& listener : next.listeners) {
    for (const auto& endpoint : listener.endpoints) {
      if (listens_on(endpoint)) continue;
      const bool clashes = std::ranges::any_of(listeners_, [&](const auto& running) {
        return std::ranges::any_of(running->config().endpoints, [&](const auto& old) {
          return config::bind_conflict(old, endpoint).has_value();
        });
      });
      if (clashes && endpoint.transport == config::Transport::udp) {
        // A listening TCP socket stops for every process that holds it (systemd's fd store
        // too); a UDP socket holds its port until every copy is closed, so only a restart can
        // change a UDP socket's identity on its port.
        const auto message = "listener " + listener.name + ": " + config::to_string(endpoint) +
                             " cannot replace a running UDP socket on the same port in a reload "
                             "(a UDP socket keeps its port while open); restart netsvcd to apply "
                             "this change";
        log_with({.listener = listener.name}, spdlog::level::err, "{}", message);
        co_return Replacement{std::move(*this), {message, std::string(kStillServing)}};
      }
      if (clashes) {
        replacing.emplace_back(&listener, endpoint);
      } else if (auto error = sockets.prepare(endpoint)) {
        const auto message = "listener " + listener.name + ": cannot listen on " +
                             config::to_string(endpoint) + ": " + *error;
        log_with({.listener = listener.name}, spdlog::level::err, "{}", message);
        co_return Replacement{std::move(*this), {message, std::string(kStillServing)}};
      }
    }
  }

  // 2. From here on the running listeners stop accepting; their sockets keep listening, so a
  //    connection arriving meanwhile waits in the backlog.
  const ListenerLoads loads = this->loads();
  report_refusals(true);  // so that no refusal goes unlogged with a removed listener
  co_await release(sockets);

  // 3. A socket whose identity changes on the same port must stop listening before the new one
  //    binds; it is kept, to listen again if the new one cannot bind.
  std::vector<config::Endpoint> stopped;
  for (const auto& [listener, endpoint] : replacing) {
    for (const auto& old : sockets.untaken()) {
      if (!config::bind_conflict(old, endpoint) || !sockets.stop_listening(old)) continue;
      log_with({.listener = listener->name}, spdlog::level::warn,
               "listener {}: {} replaces {}: connections to port {} may be refused for a moment",
               listener->name, describe_endpoint(endpoint), describe_endpoint(old), endpoint.port);
      stopped.push_back(old);
    }
  }

  // 4. The next set, on the sockets handed over and those bound in step 1.
  auto opened = open(*pool_, next, sockets, *counts_, loads);
  if (auto* error = std::get_if<OpenError>(&opened)) {
    log_with({.listener = error->listener}, spdlog::level::err, "{}", error->message);
    std::vector<std::string> refusal{error->message};
    // Only a replaced address can fail here: the previous sockets listen again.
    for (const auto& endpoint : stopped) {
      if (auto lost = sockets.listen_again(endpoint)) {
        refusal.push_back("cannot listen on " + config::to_string(endpoint) + " again: " + *lost);
      }
    }
    auto previous = open(*pool_, current, sockets, *counts_, loads);
    if (auto* lost = std::get_if<OpenError>(&previous)) {
      log_with({.listener = lost->listener}, spdlog::level::critical,
               "cannot go back to the previous configuration: {}; serving nothing", lost->message);
      refusal.push_back("cannot go back to the previous configuration: " + lost->message +
                        "; serving nothing");
      co_return Replacement{ListenerSet(*pool_, *counts_), std::move(refusal)};
    }
    refusal.emplace_back(kStillServing);
    co_return Replacement{std::move(std::get<ListenerSet>(previous)), std::move(refusal)};
  }

  // Sockets left over belonged to removed listeners: they close with `sockets`, refusing new
  // connections there, while connections in flight go on.
  for (const auto& running : current.listeners) {
    if (!find_listener(next, running.name)) {
      log_with({.listener = running.name}, spdlog::level::info,
               "listener {} removed: no longer accepting on {}", running.name,
               describe_endpoints(running));
    }
  }
  co_return Replacement{std::move(std::get<ListenerSet>(opened)), {}};
}

void ListenerSet::start() {
  if (std::exchange(started_, true)) return;
  for (const auto& listener : listeners_) {
    const auto& config = listener->config();
    std::string more;
    if (config.proxy_protocol) {
      more += "; PROXY protocol header from ";
      for (std::size_t i = 0; i < config.proxy_from.size(); ++i)
        more += (i > 0 ? ", " : "") + config::to_string(config.proxy_from[i]);
    }
    if (const auto summary = config.service->summary(); !summary.empty()) more += "; " + summary;
    log_with({.listener = config.name}, spdlog::level::info, "listener {} ({}) listening on {}{}",
             config.name, config.kind, describe_endpoints(config), more);
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
      sockets.offer(std::move(socket));
  }
  listeners_.clear();
}

void ListenerSet::report_refusals(bool force) const {
  for (const auto& listener : listeners_)
    listener->report_refusals(force);
}

ListenerLoads ListenerSet::loads() const {
  ListenerLoads loads;
  for (const auto& listener : listeners_)
    loads.emplace(listener->config().name, listener->load());
  return loads;
}

std::vector<metrics::ListenerView> ListenerSet::views() const {
  std::vector<metrics::ListenerView> views;
  for (const auto& listener : listeners_)
    views.push_back(listener->view());
  return views;
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
