// Sockets passed in by systemd: by a .socket unit, by systemd-socket-activate, or back from the
// file descriptor store after a restart ($LISTEN_FDS, $LISTEN_FDNAMES; sd_listen_fds(3)).
// take_passed_sockets() is called once, at start-up, by the thread that builds the listeners.
#pragma once

#include <string>
#include <vector>

#include "config/endpoint.hpp"
#include "unique_fd.hpp"

namespace netsvcd::systemd {

struct PassedSocket {
  std::string name;           // FileDescriptorName= or FDNAME=; systemd's default otherwise
  config::Endpoint endpoint;  // the address the socket is bound to, read from the socket
  UniqueFd fd;
};

// Every listening TCP socket and every UDP socket passed to this process, and unsets LISTEN_FDS
// so that nothing is taken twice. Anything else passed (a unix socket, a file) is logged and
// closed.
std::vector<PassedSocket> take_passed_sockets();

}  // namespace netsvcd::systemd
