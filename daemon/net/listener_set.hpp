// ListenerSet: the running listeners of one config, by name. Built in one step from a Config and
// a SocketSource, so a reload can build the next set from the sockets the running one hands over,
// plus any newly bound, and swap. Owned by the Daemon, which serialises open(), release() and
// stop(); start() may be called from any thread once it is built.
#pragma once

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "asio.hpp"
#include "config/config.hpp"
#include "net/connection_tracker.hpp"
#include "net/listener.hpp"
#include "net/socket_source.hpp"

namespace netsvcd::net {

// Why a set could not be opened: the listener, and one line naming it and the address.
struct OpenError {
  std::string listener;
  std::string message;
};

class ListenerSet {
 public:
  // A set with a listener for each of config's, or which address could not be bound. On failure
  // every socket taken from `sockets` is offered back.
  static std::variant<ListenerSet, OpenError> open(asio::io_context& context,
                                                   const config::Config& config,
                                                   SocketSource& sockets,
                                                   ConnectionTracker& tracker);

  // Starts accepting on every listener and logs one line per listener.
  void start();
  // Stops accepting everywhere, completing once every listening socket is closed; connections
  // in flight go on.
  asio::awaitable<void> stop();
  // Stops accepting everywhere and offers every listening socket, still listening, to `sockets`.
  // Connections in flight go on.
  asio::awaitable<void> release(SocketSource& sockets);

  // Each listener's listening descriptors, for systemd's fd store. Before start() only.
  std::vector<std::pair<std::string, std::vector<int>>> native_handles() const;

  std::size_t size() const { return listeners_.size(); }
  std::size_t endpoint_count() const;
  // Whether any listener listens on `endpoint`.
  bool listens_on(const config::Endpoint& endpoint) const;
  const std::vector<std::shared_ptr<Listener>>& listeners() const { return listeners_; }

 private:
  std::vector<std::shared_ptr<Listener>> listeners_;
};

// "[::]:8080 (IPv4 and IPv6)", "127.0.0.1:8013": one address, for messages. A wildcard IPv6
// address says which families it takes: [::]:P is two different sockets with v6only and without.
std::string describe_endpoint(const config::Endpoint& endpoint);
// "[::]:8080 (IPv4 and IPv6), 127.0.0.1:8013": the addresses of one listener, for messages.
std::string describe_endpoints(const config::ListenerConfig& listener);

}  // namespace netsvcd::net
