// Listener: one configured listener at run time: its listening sockets, an accept loop on each,
// and the service that serves what they accept. Owned by a ListenerSet through shared_ptr; each
// accept loop holds one too, so a stopped listener lives until its loops have ended.
// Thread safety: start() and stop() may be called from any thread; the sockets are only touched
// on the listener's strand. Accepted connections run on strands of their own.
#pragma once

#include <memory>
#include <vector>

#include "asio.hpp"
#include "config/config.hpp"
#include "net/connection_tracker.hpp"

namespace netsvcd::net {

struct ListeningSocket {
  config::Endpoint endpoint;
  tcp::acceptor acceptor;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& context, config::ListenerConfig config,
           std::vector<ListeningSocket> sockets, ConnectionTracker& tracker);

  const config::ListenerConfig& config() const { return config_; }

  // Starts one accept loop per socket.
  void start();
  // Stops accepting and closes the listening sockets, completing once they are closed;
  // connections in flight go on to their end. The caller keeps the listener alive meanwhile.
  asio::awaitable<void> stop();
  // Stops accepting and hands the listening sockets over, still listening, for the listeners of
  // a reloaded config: connections arriving meanwhile wait in the kernel's backlog. A connection
  // accepted at that moment is still served here.
  asio::awaitable<std::vector<ListeningSocket>> release_sockets();

  // The listening sockets' descriptors, for systemd's fd store. Before start() only.
  std::vector<int> native_handles();

 private:
  asio::awaitable<void> close_sockets();
  asio::awaitable<std::vector<ListeningSocket>> release_on_strand();
  asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, config::Endpoint endpoint);
  void serve(tcp::socket socket);

  asio::io_context& context_;
  const config::ListenerConfig config_;
  asio::strand<asio::io_context::executor_type> strand_;
  std::vector<ListeningSocket> sockets_;  // guarded by strand_
  bool stopped_ = false;                  // guarded by strand_
  ConnectionTracker& tracker_;
};

}  // namespace netsvcd::net
