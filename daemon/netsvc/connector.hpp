// Connecting to a server by name: every address tried, IPv6 and IPv4 interleaved, the next
// attempt started 250 ms after the last unless it has connected (Happy Eyeballs, RFC 8305);
// the first connection wins and the others are closed. Synchronous (non-blocking connects and
// poll); no shared state, safe from any thread.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "netsvc/exit_codes.hpp"
#include "netsvc/host_port.hpp"
#include "netsvc/resolver.hpp"
#include "netsvc/stream.hpp"

namespace netsvc {

using namespace std::chrono_literals;

struct ConnectOptions {
  std::chrono::milliseconds attempt_timeout = 5s;  // each address's own connect timeout
  std::chrono::milliseconds io_timeout = 30s;      // for the Stream's reads and writes
  std::chrono::milliseconds stagger = 250ms;       // RFC 8305's Connection Attempt Delay
};

// RFC 8305 section 4: the first address's family first, then the families alternate, each
// family keeping the resolver's order; what one family has left over comes at the end.
std::vector<Endpoint> interleave_families(const std::vector<Endpoint>& endpoints);

// Races connections to `endpoints` (already interleaved). Failure: kExitUnavailable with each
// address's error.
Outcome<Stream> connect_first(const std::vector<Endpoint>& endpoints,
                              const ConnectOptions& options);

// resolve(), interleave_families(), connect_first().
Outcome<Stream> connect_to(const HostPort& target, const ConnectOptions& options);

}  // namespace netsvc
