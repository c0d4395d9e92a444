// ListenerSet: the running listeners of one config, by name. Built in one step from a Config and
// a SocketSource, so a reload can build the next set beside the running one, reusing each socket
// whose endpoint is unchanged, and swap. Owned by the Daemon; open() runs on one thread,
// start() and stop() may be called from any thread once it is built.
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

class ListenerSet {
 public:
  // A set with a listener for each of config's, or one line naming the listener and the address
  // that could not be bound. Nothing is left open on failure.
  static std::variant<ListenerSet, std::string> open(asio::io_context& context,
                                                     const config::Config& config,
                                                     SocketSource& sockets,
                                                     ConnectionTracker& tracker);

  // Starts accepting on every listener and logs one line per listener.
  void start();
  // Stops accepting everywhere, completing once every listening socket is closed; connections
  // in flight go on.
  asio::awaitable<void> stop();

  std::size_t size() const { return listeners_.size(); }
  std::size_t endpoint_count() const;

 private:
  std::vector<std::shared_ptr<Listener>> listeners_;
};

}  // namespace netsvcd::net
