#include "net/pipeline.hpp"

#include "config/duration.hpp"
#include "log.hpp"
#include "services/service.hpp"

namespace netsvcd::net {

using connection::ProxyReader;

Pipeline::Pipeline(std::shared_ptr<const connection::ListenerInfo> listener,
                   connection::Admission admission,
                   std::shared_ptr<const services::Service> service,
                   connection::ConnectionCounts& counts, asio::io_context& workers,
                   std::optional<connection::ProxyProtocol> proxy)
    : listener_(std::move(listener)),
      admission_(std::move(admission)),
      service_(std::move(service)),
      counts_(counts),
      workers_(workers),
      proxy_(std::move(proxy)) {}

void Pipeline::accepted(UniqueFd socket, const connection::Peer& peer, std::size_t thread,
                        asio::io_context& context) const {
  connection::ListenerStats& stats = *listener_->stats;
  stats.accepted();
  // All that a listener without proxy_protocol pays for the step.
  if (proxy_) return read_proxy_header(std::move(socket), peer, thread, context);
  admit(std::move(socket), peer, Count{}, thread, context);
}

void Pipeline::read_proxy_header(UniqueFd socket, const connection::Peer& proxy, std::size_t thread,
                                 asio::io_context& context) const {
  // Anyone else could claim any address: refused before a byte is read.
  if (!proxy_->trusts(proxy.address)) {
    return refuse(std::move(socket), proxy, connection::Refusal::proxy_untrusted);
  }
  Count count = counts_.track(thread);
  ProxyReader reader(proxy);
  // A proxy sends its header as it connects: usually it is here already.
  const auto step = reader.read_now(socket.get());
  if (step != ProxyReader::Step::more) {
    return after_proxy_header(step, std::move(socket), reader, std::move(count), thread, context);
  }
  try {
    connection::spawn(
        context, wait_for_proxy_header(shared_from_this(), std::move(socket), std::move(reader),
                                       std::move(count), thread, &context));
  } catch (...) {
    // Out of memory, most likely: lose this connection, never the listener.
    log_with({.listener = listener_->name}, spdlog::level::err,
             "{}: cannot wait for a PROXY header: {}", listener_->name,
             describe(std::current_exception()));
  }
}

connection::Task<> Pipeline::wait_for_proxy_header(std::shared_ptr<const Pipeline> self,
                                                   UniqueFd socket, ProxyReader reader, Count count,
                                                   std::size_t thread,
                                                   asio::io_context* context) try {
  const auto step = co_await reader.wait(socket, *context, self->proxy_->timeout);
  self->after_proxy_header(step, std::move(socket), reader, std::move(count), thread, *context);
} catch (...) {
  log_with({.listener = self->listener_->name}, spdlog::level::err,
           "{}: cannot wait for a PROXY header: {}", self->listener_->name,
           describe(std::current_exception()));
}

void Pipeline::after_proxy_header(ProxyReader::Step step, UniqueFd socket,
                                  const ProxyReader& reader, Count count, std::size_t thread,
                                  asio::io_context& context) const {
  switch (step) {
    case ProxyReader::Step::done:
      return admit(std::move(socket), reader.peer(), std::move(count), thread, context);
    case ProxyReader::Step::malformed:
      return refuse(std::move(socket), reader.peer(), connection::Refusal::proxy_malformed,
                    reader.why());
    case ProxyReader::Step::late:
      return refuse(std::move(socket), reader.peer(), connection::Refusal::proxy_timeout,
                    "waited " + config::format_duration(proxy_->timeout));
    case ProxyReader::Step::closed:
    case ProxyReader::Step::more:
      // A proxy's plain TCP health check: nothing was refused.
      if (spdlog::should_log(spdlog::level::debug)) {
        const std::string from = reader.peer().describe();
        log_with({.listener = listener_->name, .peer = from}, spdlog::level::debug,
                 "{}: {}: closed before sending a PROXY header", listener_->name, from);
      }
      return;
  }
}

void Pipeline::admit(UniqueFd socket, const connection::Peer& peer, Count count, std::size_t thread,
                     asio::io_context& context) const {
  auto admitted = admission_.admit(peer);
  if (const auto* reason = std::get_if<connection::Refusal>(&admitted))
    return refuse(std::move(socket), peer, *reason);
  connection::StreamConnection connection{
      std::move(socket),
      peer,
      listener_.get(),
      &context,
      count ? std::move(count) : counts_.track(thread),
      &workers_,
      {},
      connection::ListenerStats::Open(*listener_->stats),
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

void Pipeline::refuse(UniqueFd socket, const connection::Peer& peer, connection::Refusal reason,
                      std::string_view detail) const {
  const bool log_now = admission_.refused(reason);
  try {
    listener_->stats->sent(service_->refuse(socket, reason));
  } catch (...) {
    // Nothing to save: the connection closes anyway.
  }
  socket.reset();
  if (log_now) {
    const std::string from = peer.describe();
    const std::string why = admission_.explain(reason, peer);
    log_with(
        {.listener = listener_->name, .peer = from}, spdlog::level::warn,
        "{}: refused a connection from {}: {}{}{}{}; further refusals are summed up every {} s",
        listener_->name, from, why, detail.empty() ? "" : " (", detail, detail.empty() ? "" : ")",
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
