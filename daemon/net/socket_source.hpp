// SocketSource: where a listener's listening sockets come from. A socket offered to the source
// (one systemd passed in, or one a previous set of listeners held) is handed out for the endpoint
// it is bound to; any other endpoint gets a freshly bound socket. Offered sockets that nobody
// takes are closed with the source. Used by the one thread that builds a ListenerSet.
#pragma once

#include <map>
#include <string>
#include <variant>

#include "asio.hpp"
#include "config/endpoint.hpp"

namespace netsvcd::net {

class SocketSource {
 public:
  explicit SocketSource(asio::io_context& context) : context_(context) {}

  // Makes `acceptor`, already listening on `endpoint`, available to take().
  void offer(const config::Endpoint& endpoint, tcp::acceptor acceptor);

  // A socket listening on `endpoint`, or a message saying why none could be bound
  // ("Address already in use").
  std::variant<tcp::acceptor, std::string> take(const config::Endpoint& endpoint);

 private:
  asio::io_context& context_;
  std::map<config::Endpoint, tcp::acceptor> offered_;
};

}  // namespace netsvcd::net
