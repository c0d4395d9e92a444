// ListenerSet: the running listeners of one config, by name, and how one set gives way to the
// next on reload (replace(): the socket diff). Owned by the Daemon, which serialises open(),
// replace() and stop(); start() may be called from any thread once it is built.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "asio.hpp"
#include "config/config.hpp"
#include "connection/connection_counts.hpp"
#include "io_pool.hpp"
#include "net/listener.hpp"
#include "net/socket_source.hpp"

namespace netsvcd::net {

// Why a set could not be opened: the listener, and one line naming it and the address.
struct OpenError {
  std::string listener;
  std::string message;
};

class ListenerSet;

// What a reload's replace() leaves: the set to run from now on, and, when the next config could
// not be put in place, why (every line; the set then serves the current config again).
struct Replacement;

// What admission counted for each listener, by name: a reload hands it to the listener of the
// same name in the next set.
using ListenerLoads = std::map<std::string, std::shared_ptr<connection::ListenerLoad>>;

class ListenerSet {
 public:
  ListenerSet() = default;

  // A set with a listener for each of config's, taking its sockets from `sockets` (adopted from
  // systemd, or bound now), or which address could not be bound. On failure every socket taken
  // from `sockets` is offered back.
  // A listener named in `loads` goes on with that load; any other starts from nothing.
  static std::variant<ListenerSet, OpenError> open(IoPool& pool, const config::Config& config,
                                                   SocketSource& sockets,
                                                   connection::ConnectionCounts& counts,
                                                   const ListenerLoads& loads = {});

  // Builds the listeners of `next` beside these, which run `current`, and hands over:
  // 1. every new address is bound first, while these go on accepting: a taken address refuses
  //    the whole change before anything stops;
  // 2. these stop accepting and hand their sockets over still listening, so an address that
  //    stays is the same socket and never refuses a connection (it waits in the backlog);
  // 3. a socket whose identity changes on its port ([::]:P for 0.0.0.0:P) stops listening
  //    just before its replacement binds, and listens again if that fails;
  // 4. the listeners of `next` are built on those sockets; sockets left over belonged to
  //    removed listeners and close; connections in flight everywhere go on.
  // On success the result serves `next`; on refusal it serves `current` again, on the same
  // sockets, and says why. Either way the caller starts it; this set is spent.
  asio::awaitable<Replacement> replace(const config::Config& current, const config::Config& next);

  // Starts accepting on every listener and logs one line per listener; once only, so that a
  // set replace() gives back unchanged, still running, may be started again.
  void start();
  // Stops accepting everywhere, completing once every listening socket is closed; connections
  // in flight go on.
  asio::awaitable<void> stop();

  // Logs, for each listener, the refusals not yet logged (Pipeline::report_refusals).
  void report_refusals(bool force = false) const;
  ListenerLoads loads() const;
  // What the metrics listeners and `netsvcd --status` report of each listener.
  std::vector<metrics::ListenerView> views() const;

  // Each listener's listening descriptors, for systemd's fd store.
  std::vector<std::pair<std::string, std::vector<int>>> native_handles() const;

  std::size_t size() const { return listeners_.size(); }
  std::size_t endpoint_count() const;
  // Whether any listener listens on `endpoint`.
  bool listens_on(const config::Endpoint& endpoint) const;
  const std::vector<std::shared_ptr<Listener>>& listeners() const { return listeners_; }

 private:
  ListenerSet(IoPool& pool, connection::ConnectionCounts& counts)
      : pool_(&pool), counts_(&counts) {}
  // Stops accepting everywhere and offers every listening socket, still listening, to `sockets`.
  asio::awaitable<void> release(SocketSource& sockets);

  IoPool* pool_ = nullptr;
  connection::ConnectionCounts* counts_ = nullptr;
  std::vector<std::shared_ptr<Listener>> listeners_;
  bool started_ = false;
};

struct Replacement {
  ListenerSet listeners;
  std::vector<std::string> refusal;  // empty when `next` was put in place
};

// "[::]:8080 (IPv4 and IPv6)", "127.0.0.1:8013": one address, for messages. A wildcard IPv6
// address says which families it takes: [::]:P is two different sockets with v6only and without.
std::string describe_endpoint(const config::Endpoint& endpoint);
// "[::]:8080 (IPv4 and IPv6), 127.0.0.1:8013": the addresses of one listener, for messages.
std::string describe_endpoints(const config::ListenerConfig& listener);

}  // namespace netsvcd::net
