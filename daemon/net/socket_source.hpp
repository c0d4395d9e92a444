// SocketSource: where a listener's listening sockets come from. A socket offered to the source
// (one systemd passed in, or one a running set of listeners handed over on reload) is handed out
// for the endpoint it is bound to; any other endpoint gets a freshly bound socket. Offered sockets
// that nobody takes are closed with the source. Used by one thread (or coroutine) at a time.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "config/endpoint.hpp"
#include "net/listening_socket.hpp"
#include "unique_fd.hpp"

namespace netsvcd::net {

class SocketSource {
 public:
  // Makes `fd`, already listening on `endpoint`, available to take(). A second socket for the
  // same endpoint replaces the first, which is closed: after a restart systemd may pass one
  // socket twice, from a .socket unit and from the file descriptor store. `adopted` says that
  // it came from systemd, and goes with it (across reloads too).
  void offer(const config::Endpoint& endpoint, UniqueFd fd, bool adopted);
  void offer(ListeningSocket socket) {
    offer(socket.endpoint, std::move(socket.fd), socket.adopted);
  }

  // A socket listening on `endpoint`, or a message saying why none could be bound
  // ("Address already in use").
  std::variant<ListeningSocket, std::string> take(const config::Endpoint& endpoint);

  // Binds `endpoint` now, unless a socket for it is on offer already, and offers it; nullopt on
  // success, else why it failed. Lets a reload find out early that an address is taken.
  std::optional<std::string> prepare(const config::Endpoint& endpoint);

  // Makes the offered socket for `endpoint` stop listening, in every process that holds it
  // (systemd's fd store keeps a duplicate, so closing ours would not free the address), so that
  // a socket of another identity can bind its port. It stays on offer, bound, for
  // listen_again(). False if none is offered.
  bool stop_listening(const config::Endpoint& endpoint);
  // Makes a socket stop_listening() stopped listen again; nullopt on success, else why not.
  std::optional<std::string> listen_again(const config::Endpoint& endpoint);

  // The endpoints of offered sockets nobody has taken.
  std::vector<config::Endpoint> untaken() const;
  // Closes every offered socket nobody has taken.
  void close_untaken() { offered_.clear(); }

 private:
  std::map<config::Endpoint, ListeningSocket> offered_;
};

}  // namespace netsvcd::net
