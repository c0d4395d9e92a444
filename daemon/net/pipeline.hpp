// Pipeline: what happens to every connection a listener accepts, in order, in this one place:
//
//   accept (Listener's accept loops, which stop at netsvcd's cap on connections in all)
//          ► PROXY header, with proxy_protocol: true (connection/proxy_reader.hpp: the client
//            the proxy relays, which every later step sees instead of the proxy)
//          ► admission (connection/admission.hpp: the listener's limits)
//          ► count (connection/connection_counts.hpp) ► service (services/service.hpp)
//
// A connection that a step refuses is counted by reason, logged (the first of a quiet spell on
// its own, the rest summed up by report_refusals()), offered to the service's refuse() and
// closed. A connection that waits for its PROXY header is counted from accept, not from
// admission, so that netsvcd's cap and a stop's drain see the descriptor it holds.
//
// A new step is one file in connection/ and one line here. One per listener, immutable after
// construction, held by shared_ptr (a connection waiting for its header holds one too);
// accepted() runs on whichever pool thread accepted the connection.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>

#include "asio.hpp"
#include "connection/admission.hpp"
#include "connection/connection_counts.hpp"
#include "connection/peer.hpp"
#include "connection/proxy_reader.hpp"
#include "connection/stream_connection.hpp"
#include "unique_fd.hpp"

namespace netsvcd::services {
class Service;
}

namespace netsvcd::net {

class Pipeline : public std::enable_shared_from_this<Pipeline> {
 public:
  // `proxy`: the listener's PROXY protocol settings, if it has proxy_protocol: true.
  Pipeline(std::shared_ptr<const connection::ListenerInfo> listener,
           connection::Admission admission, std::shared_ptr<const services::Service> service,
           connection::ConnectionCounts& counts, asio::io_context& workers,
           std::optional<connection::ProxyProtocol> proxy = std::nullopt);

  // A connection just accepted on pool thread `thread`, whose context is `context`: it goes
  // through the steps to its service, or is closed by the first that refuses it.
  void accepted(UniqueFd socket, const connection::Peer& peer, std::size_t thread,
                asio::io_context& context) const;

  // Logs the refusals not yet logged, once a report interval has passed since the last line (or
  // now, with `force`): one line for the listener however many there were.
  void report_refusals(bool force = false) const;

  const connection::Admission& admission() const { return admission_; }

 private:
  using Count = connection::ConnectionCounts::Guard;

  // The PROXY step: the proxy must be trusted, then its header is read now or waited for.
  void read_proxy_header(UniqueFd socket, const connection::Peer& proxy, std::size_t thread,
                         asio::io_context& context) const;
  static connection::Task<> wait_for_proxy_header(std::shared_ptr<const Pipeline> self,
                                                  UniqueFd socket, connection::ProxyReader reader,
                                                  Count count, std::size_t thread,
                                                  asio::io_context* context);
  void after_proxy_header(connection::ProxyReader::Step step, UniqueFd socket,
                          const connection::ProxyReader& reader, Count count, std::size_t thread,
                          asio::io_context& context) const;
  // Admission, count and service; `count` is the connection's place in the count if it has one
  // already.
  void admit(UniqueFd socket, const connection::Peer& peer, Count count, std::size_t thread,
             asio::io_context& context) const;
  // `detail` adds to the reason's words in the log line.
  void refuse(UniqueFd socket, const connection::Peer& peer, connection::Refusal reason,
              std::string_view detail = {}) const;

  const std::shared_ptr<const connection::ListenerInfo> listener_;
  const connection::Admission admission_;
  const std::shared_ptr<const services::Service> service_;
  connection::ConnectionCounts& counts_;
  asio::io_context& workers_;
  const std::optional<connection::ProxyProtocol> proxy_;
};

}  // namespace netsvcd::net
