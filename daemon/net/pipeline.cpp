#include "net/pipeline.hpp"

#include "log.hpp"
#include "services/service.hpp"

namespace netsvcd::net {

Pipeline::Pipeline(std::shared_ptr<const connection::ListenerInfo> listener,
                   connection::Admission admission,
                   std::shared_ptr<const services::Service> service,
                   connection::ConnectionCounts& counts, asio::io_context& workers)
    : listener_(std::move(listener)),
      admission_(std::move(admission)),
      service_(std::move(service)),
      counts_(counts),
      workers_(workers) {}

void Pipeline::accepted(UniqueFd socket, const connection::Peer& peer, std::size_t thread,
                        asio::io_context& context) const {
  connection::ListenerStats& stats = *listener_->stats;
  stats.accepted();
  auto admitted = admission_.admit(peer);
  if (const auto* reason = std::get_if<connection::Refusal>(&admitted))
    return refuse(std::move(socket), peer, *reason);
  connection::StreamConnection connection{
      std::move(socket),
      peer,
      listener_.get(),
      &context,
      counts_.track(thread),
      &workers_,
      {},
      connection::ListenerStats::Open(stats),
      std::move(std::get<connection::Admission::Ticket>(admitted))};
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

void Pipeline::refuse(UniqueFd socket, const connection::Peer& peer,
                      connection::Refusal reason) const {
  const bool log_now = admission_.refused(reason);
  try {
    listener_->stats->sent(service_->refuse(socket, reason));
  } catch (...) {
    // Nothing to save: the connection closes anyway.
  }
  socket.reset();
  if (log_now) {
    const std::string from = peer.describe();
    log_with({.listener = listener_->name, .peer = from}, spdlog::level::warn,
             "{}: refused a connection from {}: {}; further refusals are summed up every {} s",
             listener_->name, from, admission_.explain(reason, peer),
             connection::ListenerLoad::kReportInterval.count());
  }
}

void Pipeline::report_refusals(bool force) const {
  const auto [total, by_reason] =
      admission_.load()->unreported(connection::ListenerLoad::Clock::now(), force);
  if (total == 0) return;
  log_with({.listener = listener_->name}, spdlog::level::warn,
           "{}: refused {} more connection(s): {}", listener_->name, total, by_reason);
}

}  // namespace netsvcd::net
