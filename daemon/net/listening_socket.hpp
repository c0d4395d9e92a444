// ListeningSocket: one socket a listener takes its clients from, bound to its endpoint (whose
// transport says whether it accepts connections or receives datagrams), and the operations on
// such sockets that need no event loop. A plain value that owns its descriptor; used by one
// thread at a time.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "config/endpoint.hpp"
#include "unique_fd.hpp"

namespace netsvcd::net {

struct ListeningSocket {
  config::Endpoint endpoint;
  UniqueFd fd;           // non-blocking, close-on-exec
  bool adopted = false;  // passed by systemd, rather than bound by netsvcd
};

// A socket bound to `endpoint` and listening, or a message saying why not ("Address already in
// use (...)").
std::variant<UniqueFd, std::string> bind_listening_socket(const config::Endpoint& endpoint);

// Readies a UDP socket of `family` to answer from the address each datagram was sent to;
// bind_listening_socket does it, and an adopted socket needs it too. A message if it cannot.
std::optional<std::string> prepare_datagram_socket(int fd, int family);

// Makes an adopted socket (passed by systemd, or handed over on reload) non-blocking, which the
// accept loops rely on; a message if it cannot.
std::optional<std::string> make_non_blocking(int fd);

}  // namespace netsvcd::net
