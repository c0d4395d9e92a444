// Service: the one interface every listener kind implements (config::ListenerKind says how a
// kind reads its keys into one).
// A Service is immutable once configured and serves many connections at once from any thread;
// each connection is a coroutine that owns its socket.
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "asio.hpp"
#include "log.hpp"
#include "net/stop_notice.hpp"

namespace netsvcd::services {

// What a service knows about the connection it serves; logs name the listener and the peer.
struct ConnectionInfo {
  std::string listener;
  std::string peer;  // "[::ffff:127.0.0.1]:40312"
  std::chrono::milliseconds write_timeout;
  // Says when the daemon stops; a connection idle between requests then closes at once.
  net::StopNotice* stop_notice;

  // LISTENER and PEER for log_with(); views into this object, which must outlive the line.
  LogFields log_fields() const { return {.listener = listener, .peer = peer}; }
};

class Service {
 public:
  virtual ~Service() = default;

  // Serves one accepted connection to its end. Runs on the connection's own strand; every wait
  // inside must be bounded by a deadline, so that no client can hold a connection forever.
  virtual asio::awaitable<void> serve(tcp::socket socket, const ConnectionInfo& info) const = 0;

  // What the start-up line should add about this listener beyond kind and addresses
  // ("dictionary /usr/share/dict/words: 102401 words, ..."); empty for nothing.
  virtual std::string summary() const { return {}; }
};

}  // namespace netsvcd::services
