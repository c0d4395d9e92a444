// Service: the one interface every listener kind implements (config::ListenerKind says how a
// kind reads its keys into one), and MessageService, the shape of the kinds whose whole answer
// is one message. A Service is immutable once configured and serves many connections at once
// from every pool thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "connection/stream_connection.hpp"
#include "metrics/daemon_state.hpp"

namespace netsvcd::services {

class Service : public std::enable_shared_from_this<Service> {
 public:
  virtual ~Service() = default;

  // Serves one accepted stream connection to its end. Called on the pool thread that accepted
  // it, which it must not hold: a service finishes the connection at once, or goes on in a
  // coroutine on connection.context in which every wait is bounded by a deadline
  // (connection/deadlines.hpp), so that no client can hold a connection forever.
  virtual void serve(connection::StreamConnection connection) const = 0;

  // Answers, at once and without waiting, a connection that the admission step refused for
  // `reason`; it closes right after. By default nothing is sent: a refused client costs an
  // accept and a close. The word finder tells a client over a limit to come back (a 503).
  // Returns the bytes sent.
  virtual std::size_t refuse(const UniqueFd& /*socket*/, connection::Refusal /*reason*/) const {
    return 0;
  }

  // What the metrics listener reports of this service beyond every listener's counts; read at
  // each scrape, from any thread.
  virtual metrics::ServiceMetrics metrics() const { return {}; }

  // How long a client may take to send its request, from the first byte; nullopt for a kind
  // that reads no request. A PROXY header must come within it too (net/pipeline.hpp).
  virtual std::optional<std::chrono::milliseconds> request_timeout() const { return std::nullopt; }

  // What the start-up line should add about this listener beyond kind and addresses
  // ("dictionary /usr/share/dict/words: 102401 words, ..."); empty for nothing.
  virtual std::string summary() const { return {}; }
};

// A service whose whole answer to a client is one message (hello, time): written, then the
// connection closes. The message does not depend on the client, so a datagram transport can
// send the same bytes.
class MessageService : public Service {
 public:
  struct Message {
    std::string_view bytes;
    // True when the bytes live as long as the service; else they are valid until this thread
    // next calls message().
    bool lasting = false;
  };

  // The message for a client arriving now.
  virtual Message message() const = 0;

  void serve(connection::StreamConnection connection) const final;
};

}  // namespace netsvcd::services
