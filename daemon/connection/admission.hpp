// Admission: the pipeline's step between accept and service, which decides whether a connection
// is served at all. It is where per-listener limits, rates and access lists belong; today it
// admits every connection. One per listener, immutable; admit() is safe from any thread.
#pragma once

#include "connection/peer.hpp"

namespace netsvcd::connection {

class Admission {
 public:
  // Whether a connection from `peer` may go on to the service; a connection refused here is
  // closed at once.
  bool admit(const Peer& /*peer*/) const { return true; }
};

}  // namespace netsvcd::connection
