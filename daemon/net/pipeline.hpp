// Pipeline: what happens to every connection a listener accepts, in order, in this one place:
//
//   accept (Listener's accept loops) ► admission (connection/admission.hpp)
//          ► count (connection/connection_counts.hpp) ► service (services/service.hpp)
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
           std::shared_ptr<const services::Service> service, connection::ConnectionCounts& counts,
           asio::io_context& workers);

  // A connection just accepted on pool thread `thread`, whose context is `context`: it goes
  // through the steps to its service, or is closed by the first that refuses it.
  void accepted(UniqueFd socket, const connection::Peer& peer, std::size_t thread,
                asio::io_context& context) const;

 private:
  const std::shared_ptr<const connection::ListenerInfo> listener_;
  const connection::Admission admission_{};
  const std::shared_ptr<const services::Service> service_;
  connection::ConnectionCounts& counts_;
  asio::io_context& workers_;
};

}  // namespace netsvcd::net
