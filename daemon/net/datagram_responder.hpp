// DatagramResponder: what a UDP listener does with the datagrams one wake-up of a socket finds:
// receive a batch, let the guard decide who gets an answer, send the service's message to those
// (from the address each was sent to), and count and report the rest. No connection state: a
// datagram is forgotten once its batch is answered. One per Listener that has udp:// addresses;
// serve() is safe from any thread (each socket's loop passes a batch of its own).
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "config/limits.hpp"
#include "connection/datagram_batch.hpp"
#include "connection/datagram_guard.hpp"
#include "connection/listener_load.hpp"
#include "net/log_throttle.hpp"
#include "services/service.hpp"

namespace netsvcd::net {

class DatagramResponder {
 public:
  DatagramResponder(std::string listener, const config::Limits& limits,
                    std::shared_ptr<const services::MessageService> service,
                    std::shared_ptr<connection::ListenerLoad> load);

  enum class Outcome {
    drained,  // the socket had no more waiting
    full,     // a whole batch: more may be waiting
    failed,   // recvmmsg failed; `error` says why
  };
  struct Result {
    Outcome outcome = Outcome::drained;
    int error = 0;
  };

  // Takes one batch of what waits on `fd` into `batch` and answers it.
  Result serve(int fd, connection::DatagramBatch& batch) const;

 private:
  void report(const connection::DatagramGuard::Source& source, connection::DatagramDrop reason,
              std::size_t dropped) const;

  const std::string listener_;
  const std::shared_ptr<const services::MessageService> service_;
  const std::shared_ptr<connection::ListenerLoad> load_;
  mutable connection::DatagramGuard guard_;  // thread-safe
  mutable std::mutex report_mutex_;
  mutable LogThrottle report_throttle_;  // guarded by report_mutex_
};

}  // namespace netsvcd::net
