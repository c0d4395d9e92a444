// Pipeline: what happens to every connection a listener accepts, in order, in this one place:
//
//   accept (Listener's accept loops, which stop at netsvcd's cap on connections in all)
//          ► admission (connection/admission.hpp: the listener's limits)
//          ► count (connection/connection_counts.hpp) ► service (services/service.hpp)
//
// A connection that admission refuses is counted by reason, logged (the first of a quiet spell
// on its own, the rest summed up by report_refusals()), offered to the service's refuse() and
// closed.
//
// A new step is one file in connection/ and one line here. One per listener, immutable after
// construction; accepted() runs on whichever pool thread accepted the connection.
#pragma once

#include <cstddef>
#include <memory>

#include "asio.hpp"
#include "connection/admission.hpp"
#include "connection/connection_counts.hpp"
#include "connection/peer.hpp"
#include "connection/stream_connection.hpp"
#include "unique_fd.hpp"

namespace netsvcd::services {
class Service;
}

namespace netsvcd::net {

class Pipeline {
 public:
  Pipeline(std::shared_ptr<const connection::ListenerInfo> listener,
           connection::Admission admission, std::shared_ptr<const services::Service> service,
           connection::ConnectionCounts& counts, asio::io_context& workers);

  // A connection just accepted on pool thread `thread`, whose context is `context`: it goes
  // through the steps to its service, or is closed by the first that refuses it.
  void accepted(UniqueFd socket, const connection::Peer& peer, std::size_t thread,
                asio::io_context& context) const;

  // Logs the refusals not yet logged, once a report interval has passed since the last line (or
  // now, with `force`): one line for the listener however many there were.
  void report_refusals(bool force = false) const;

  const connection::Admission& admission() const { return admission_; }

 private:
  void refuse(UniqueFd socket, const connection::Peer& peer, connection::Refusal reason) const;

  const std::shared_ptr<const connection::ListenerInfo> listener_;
  const connection::Admission admission_;
  const std::shared_ptr<const services::Service> service_;
  connection::ConnectionCounts& counts_;
  asio::io_context& workers_;
};

}  // namespace netsvcd::net
