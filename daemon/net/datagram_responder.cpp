#include "net/datagram_responder.hpp"

#include <array>
#include <cstring>
#include <optional>

#include "connection/peer.hpp"
#include "log.hpp"

namespace netsvcd::net {
namespace {

constexpr auto kReportInterval = std::chrono::seconds(5);

std::string describe(const connection::DatagramGuard::Source& source) {
  return connection::Peer{source.address, source.port}.describe();
}

std::string_view explain(connection::DatagramDrop reason) {
  switch (reason) {
    case connection::DatagramDrop::access:
      return "by allow/deny";
    case connection::DatagramDrop::reflection:
      return "its source could be a service or no single host, so an answer could be reflected";
    case connection::DatagramDrop::rate_per_source:
      return "over udp_rate_per_source";
    case connection::DatagramDrop::rate:
      return "over the listener's udp_rate";
    case connection::DatagramDrop::send_failed:
      return "the kernel would not send the answer";
  }
  return "";
}

}  // namespace

DatagramResponder::DatagramResponder(std::string listener, const config::Limits& limits,
                                     std::shared_ptr<const services::MessageService> service,
                                     std::shared_ptr<connection::ListenerLoad> load)
    : listener_(std::move(listener)),
      service_(std::move(service)),
      load_(std::move(load)),
      guard_(limits),
      report_throttle_(kReportInterval) {}

DatagramResponder::Result DatagramResponder::serve(int fd, connection::DatagramBatch& batch) const {
  const int received = batch.receive(fd);
  if (received < 0) return {Outcome::failed, -received};
  if (received == 0) return {};
  auto& stats = load_->stats();
  stats.datagrams_received(static_cast<std::size_t>(received));

  std::array<std::optional<connection::DatagramDrop>, connection::DatagramBatch::kSize> verdicts;
  const auto sources = batch.sources();
  guard_.decide(sources, verdicts);
  std::size_t dropped = 0;
  std::optional<std::size_t> first_dropped;
  std::optional<std::size_t> first_answered;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    if (!verdicts[i]) {
      if (!first_answered) first_answered = i;
      continue;
    }
    stats.datagrams_dropped(*verdicts[i]);
    if (!first_dropped) first_dropped = i;
    ++dropped;
  }

  // One message for the whole batch: it came in at one instant, and the time kinds change their
  // text once a second.
  const auto message = service_->message();
  const auto sent = batch.answer(fd, message.bytes, {verdicts.data(), sources.size()});
  stats.datagrams_answered(sent.answered);
  stats.sent(sent.answered * message.bytes.size());
  if (sent.failed > 0) stats.datagrams_dropped(connection::DatagramDrop::send_failed, sent.failed);

  if (first_dropped) report(sources[*first_dropped], *verdicts[*first_dropped], dropped);
  if (sent.failed > 0) {
    log_with({.listener = listener_}, spdlog::level::debug, "{}: {} answers not sent: {}",
             listener_, sent.failed, std::strerror(sent.error));
  }
  if (first_answered && spdlog::should_log(spdlog::level::debug)) {
    log_with({.listener = listener_}, spdlog::level::debug, "{}: answered {} datagram{}: {}{}",
             listener_, sent.answered, sent.answered == 1 ? "" : "s",
             describe(sources[*first_answered]), sent.answered > 1 ? " and others" : "");
  }
  return {received == static_cast<int>(connection::DatagramBatch::kSize) ? Outcome::full
                                                                         : Outcome::drained};
}

void DatagramResponder::report(const connection::DatagramGuard::Source& source,
                               connection::DatagramDrop reason, std::size_t dropped) const {
  std::optional<std::uint64_t> suppressed;
  {
    const std::lock_guard lock(report_mutex_);
    suppressed = report_throttle_.admit();
    // The throttle counts reports held back; the datagrams each stood for are in the metrics.
  }
  if (!suppressed) return;
  log_with({.listener = listener_, .peer = describe(source)}, spdlog::level::info,
           "{}: no answer to a datagram from {}: {}{}{}", listener_, describe(source),
           explain(reason), dropped > 1 ? fmt::format(" ({} dropped in this batch)", dropped) : "",
           *suppressed ? fmt::format("; {} such reports held back since the last", *suppressed)
                       : std::string());
}

}  // namespace netsvcd::net
