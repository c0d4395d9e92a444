#include "connection/listener_load.hpp"

#include <algorithm>

#include "config/cidr.hpp"

namespace netsvcd::connection {

std::string_view to_string(Refusal reason) {
  switch (reason) {
    case Refusal::access:
      return "access";
    case Refusal::rate_limit:
      return "rate_limit";
    case Refusal::max_connections:
      return "max_connections";
    case Refusal::max_per_source:
      return "max_per_source";
    case Refusal::proxy_untrusted:
      return "proxy_untrusted";
    case Refusal::proxy_malformed:
      return "proxy_malformed";
    case Refusal::proxy_timeout:
      return "proxy_timeout";
  }
  return "unknown";
}

SourceKey SourceKey::of(const boost::asio::ip::address& address) {
  const auto plain = config::unmapped(address);
  if (plain.is_v4()) return {plain.to_v4().to_uint(), true};
  const auto bytes = plain.to_v6().to_bytes();
  std::uint64_t prefix = 0;
  for (std::size_t i = 0; i < 8; ++i)
    prefix = prefix << 8 | bytes[i];
  return {prefix, false};
}

bool ListenerLoad::enter(std::uint64_t max) {
  if (open_.fetch_add(1, std::memory_order_relaxed) < max) return true;
  open_.fetch_sub(1, std::memory_order_relaxed);
  return false;
}

bool ListenerLoad::enter_source(SourceKey source, std::uint64_t max) {
  const std::lock_guard lock(sources_mutex_);
  auto& count = sources_[source];
  if (count >= max) {
    if (count == 0) sources_.erase(source);
    return false;
  }
  ++count;
  return true;
}

void ListenerLoad::leave_source(SourceKey source) {
  const std::lock_guard lock(sources_mutex_);
  const auto it = sources_.find(source);
  if (it != sources_.end() && --it->second == 0) sources_.erase(it);
}

std::uint64_t ListenerLoad::open_from(SourceKey source) const {
  const std::lock_guard lock(sources_mutex_);
  const auto it = sources_.find(source);
  return it == sources_.end() ? 0 : it->second;
}

bool ListenerLoad::take_token(const config::Rate& rate, Clock::time_point now) {
  const auto interval = std::chrono::duration_cast<Clock::duration>(rate.interval()).count();
  // A full bucket holds `count` tokens: the empty time may run that far ahead of now.
  const auto tolerance = interval * static_cast<Clock::rep>(rate.count);
  const auto at = now.time_since_epoch().count();
  auto empty_at = bucket_empty_at_.load(std::memory_order_relaxed);
  for (;;) {
    const auto next = std::max(empty_at, at) + interval;
    if (next - at > tolerance) return false;
    if (bucket_empty_at_.compare_exchange_weak(empty_at, next, std::memory_order_relaxed))
      return true;
  }
}

bool ListenerLoad::reported_lately(Clock::rep last, Clock::time_point now) {
  return last != 0 && now - Clock::time_point(Clock::duration(last)) < kReportInterval;
}

bool ListenerLoad::refused(Refusal reason, Clock::time_point now) {
  refused_[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
  const auto last = last_report_.load(std::memory_order_relaxed);
  if (reported_lately(last, now)) return false;
  const std::lock_guard lock(report_mutex_);
  if (last_report_.load(std::memory_order_relaxed) != last) return false;  // another thread did
  last_report_.store(now.time_since_epoch().count(), std::memory_order_relaxed);
  // This one is logged on its own; those before it were reported or are summed up next time.
  reported_[static_cast<std::size_t>(reason)] += 1;
  return true;
}

std::pair<std::uint64_t, std::string> ListenerLoad::unreported(Clock::time_point now, bool force) {
  const auto last = last_report_.load(std::memory_order_relaxed);
  if (!force && reported_lately(last, now)) return {};
  const std::lock_guard lock(report_mutex_);
  std::uint64_t total = 0;
  std::string by_reason;
  for (std::size_t i = 0; i < kRefusalKinds; ++i) {
    const auto count = refused_[i].load(std::memory_order_relaxed);
    const auto fresh = count - std::min(count, reported_[i]);
    reported_[i] = count;
    if (fresh == 0) continue;
    total += fresh;
    if (!by_reason.empty()) by_reason += ", ";
    by_reason += std::to_string(fresh) + " by " + std::string(to_string(static_cast<Refusal>(i)));
  }
  if (total > 0) last_report_.store(now.time_since_epoch().count(), std::memory_order_relaxed);
  return {total, std::move(by_reason)};
}

}  // namespace netsvcd::connection
