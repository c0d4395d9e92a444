#include "connection/datagram_guard.hpp"

#include <algorithm>

#include "config/cidr.hpp"

namespace netsvcd::connection {
namespace {

bool in_any(const std::vector<config::Cidr>& networks, const boost::asio::ip::address& address) {
  return std::ranges::any_of(networks,
                             [&](const config::Cidr& cidr) { return cidr.contains(address); });
}

DatagramGuard::Clock::rep interval_of(const config::Rate& rate) {
  return std::chrono::duration_cast<DatagramGuard::Clock::duration>(rate.interval()).count();
}

// A full bucket holds `count` tokens: the time it is empty may run that far ahead of now.
DatagramGuard::Clock::rep tolerance_of(const config::Rate& rate) {
  return interval_of(rate) * static_cast<DatagramGuard::Clock::rep>(rate.count);
}

std::size_t slot_of(const SourceKey& key) {
  // Fibonacci hashing: the high bits of the product mix every bit of the key.
  const std::uint64_t mixed = (key.bits ^ (key.v4 ? 0 : 0x9e3779b97f4a7c15u)) * 0x9e3779b97f4a7c15u;
  return static_cast<std::size_t>(mixed >> 52) % DatagramGuard::kTrackedSources;
}

}  // namespace

bool is_service_port(std::uint16_t port) {
  if (port < 1024) return true;
  // NFS, SSDP, WS-Discovery, mDNS, CoAP, memcached: UDP services that answer strangers.
  constexpr std::array<std::uint16_t, 6> kAbove = {2049, 1900, 3702, 5353, 5683, 11211};
  return std::ranges::find(kAbove, port) != kAbove.end();
}

bool is_not_unicast(const boost::asio::ip::address& address) {
  const auto plain = config::unmapped(address);
  if (plain.is_v4()) {
    const auto v4 = plain.to_v4();
    return (v4.to_uint() >> 24) == 0 || v4.is_multicast() ||
           v4 == boost::asio::ip::address_v4::broadcast();
  }
  return plain.is_unspecified() || plain.to_v6().is_multicast();
}

DatagramGuard::DatagramGuard(const config::Limits& limits)
    : limits_(limits),
      source_interval_(interval_of(limits.udp_rate_per_source.value_or(kDefaultUdpRatePerSource))),
      source_tolerance_(
          tolerance_of(limits.udp_rate_per_source.value_or(kDefaultUdpRatePerSource))),
      listener_interval_(interval_of(limits.udp_rate.value_or(kDefaultUdpRate))),
      listener_tolerance_(tolerance_of(limits.udp_rate.value_or(kDefaultUdpRate))) {}

void DatagramGuard::decide(std::span<const Source> sources,
                           std::span<std::optional<DatagramDrop>> verdicts, Clock::time_point now) {
  const auto at = now.time_since_epoch().count();
  const std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < sources.size() && i < verdicts.size(); ++i)
    verdicts[i] = decide_one(sources[i], at);
}

std::optional<DatagramDrop> DatagramGuard::decide_one(const Source& source, Clock::rep now) {
  if ((!limits_.allow.empty() && !in_any(limits_.allow, source.address)) ||
      in_any(limits_.deny, source.address)) {
    return DatagramDrop::access;
  }
  if (is_service_port(source.port) || is_not_unicast(source.address)) {
    return DatagramDrop::reflection;
  }
  // The source's token first: a source over its own rate must not spend the listener's.
  if (!take_for(SourceKey::of(source.address), now)) return DatagramDrop::rate_per_source;
  if (!take(listener_empty_at_, now, listener_interval_, listener_tolerance_)) {
    return DatagramDrop::rate;
  }
  return std::nullopt;
}

bool DatagramGuard::take(Clock::rep& empty_at, Clock::rep now, Clock::rep interval,
                         Clock::rep tolerance) {
  const auto next = std::max(empty_at, now) + interval;
  if (next - now > tolerance) return false;
  empty_at = next;
  return true;
}

bool DatagramGuard::take_for(const SourceKey& key, Clock::rep now) {
  // Looked for in a few slots from its own. A new source takes the slot of the probed source
  // whose bucket refills first: a free slot (0), or one full again already, before any other.
  constexpr std::size_t kProbes = 4;
  const std::size_t home = slot_of(key);
  Bucket* victim = nullptr;
  for (std::size_t probe = 0; probe < kProbes; ++probe) {
    Bucket& bucket = buckets_[(home + probe) % kTrackedSources];
    if (bucket.empty_at != 0 && bucket.key == key) {
      return take(bucket.empty_at, now, source_interval_, source_tolerance_);
    }
    if (!victim || bucket.empty_at < victim->empty_at) victim = &bucket;
  }
  *victim = Bucket{key, now};
  return take(victim->empty_at, now, source_interval_, source_tolerance_);
}

}  // namespace netsvcd::connection
