#include "net/pipeline.hpp"

#include "log.hpp"
#include "services/service.hpp"

namespace netsvcd::net {

Pipeline::Pipeline(std::shared_ptr<const connection::ListenerInfo> listener,
                   std::shared_ptr<const services::Service> service,
                   connection::ConnectionCounts& counts, asio::io_context& workers)
    : listener_(std::move(listener)),
      service_(std::move(service)),
      counts_(counts),
      workers_(workers) {}

void Pipeline::accepted(UniqueFd socket, const connection::Peer& peer, std::size_t thread,
                        asio::io_context& context) const {
  if (!admission_.admit(peer)) return;
  connection::StreamConnection connection{
      std::move(socket), peer, listener_.get(), &context, counts_.track(thread), &workers_, {}};
  if (spdlog::should_log(spdlog::level::debug)) {
    const std::string from = peer.describe();
    log_with({.listener = listener_->name, .peer = from}, spdlog::level::debug,
             "{}: connection from {}", listener_->name, from);
  }
  try {
    service_->serve(std::move(connection));
  } catch (...) {
    // Out of memory, most likely: lose this connection, never the listener.
    log_with({.listener = listener_->name}, spdlog::level::err, "{}: cannot serve a connection: {}",
             listener_->name, describe(std::current_exception()));
  }
}

}  // namespace netsvcd::net
