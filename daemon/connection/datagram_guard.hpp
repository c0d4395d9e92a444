// DatagramGuard: the admission step of a UDP listener, which decides for each datagram received
// whether it gets an answer: the access lists, then the reflection rules (never answer a port
// that is a service's, or an address no single host owns), then a token bucket per source and
// one for the whole listener. A dropped datagram gets nothing back: a UDP source may be forged,
// and an error sent back would be the very reflection the guard is for. One per Listener; safe
// from any thread: decide() takes one lock for a whole batch, and allocates nothing.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>

#include <boost/asio/ip/address.hpp>

#include "config/limits.hpp"
#include "config/rate.hpp"
#include "connection/datagram_drop.hpp"
#include "connection/listener_load.hpp"

namespace netsvcd::connection {

// The defaults of udp_rate_per_source and udp_rate: a client asks the time once in a while; a
// source over 10 a second is a loop or a forged flood, and a listener over 1,000 a second is
// one the operator should raise knowingly.
inline constexpr config::Rate kDefaultUdpRatePerSource{10, std::chrono::seconds(1)};
inline constexpr config::Rate kDefaultUdpRate{1000, std::chrono::seconds(1)};

// Whether an answer to `port` could land on a service instead of a client: port 0, every port
// below 1024 (what openbsd-inetd refuses too: echo, daytime, chargen, time, DNS, NTP, ...) and
// the UDP services above it that answer anything (NFS, SSDP, mDNS, memcached, ...).
bool is_service_port(std::uint16_t port);

// Whether `address` (IPv4-mapped addresses as IPv4) cannot be a single client: unspecified,
// broadcast, multicast, or IPv4's "this network" 0.0.0.0/8.
bool is_not_unicast(const boost::asio::ip::address& address);

class DatagramGuard {
 public:
  using Clock = std::chrono::steady_clock;
  struct Source {
    boost::asio::ip::address address;  // as received: IPv4-mapped on a dual-stack socket
    std::uint16_t port = 0;
  };
  // Sources tracked at once: a fixed table, so that a flood of forged sources costs no memory.
  // When it is full, the source whose bucket refills first gives its place up; the listener's
  // own bucket still bounds what such a flood gets back.
  static constexpr std::size_t kTrackedSources = 4096;

  // The limits' allow, deny, udp_rate_per_source and udp_rate (their defaults when unset).
  explicit DatagramGuard(const config::Limits& limits);

  // For each source, nullopt to answer it or why not, all at `now`.
  void decide(std::span<const Source> sources, std::span<std::optional<DatagramDrop>> verdicts,
              Clock::time_point now = Clock::now());

 private:
  struct Bucket {
    SourceKey key;
    Clock::rep empty_at = 0;  // when its bucket would be full again; 0 for a free slot
  };
  std::optional<DatagramDrop> decide_one(const Source& source, Clock::rep now);
  // A generic cell rate algorithm: takes one token unless the bucket would overflow.
  static bool take(Clock::rep& empty_at, Clock::rep now, Clock::rep interval, Clock::rep tolerance);
  bool take_for(const SourceKey& key, Clock::rep now);

  const config::Limits limits_;
  const Clock::rep source_interval_;
  const Clock::rep source_tolerance_;
  const Clock::rep listener_interval_;
  const Clock::rep listener_tolerance_;
  std::mutex mutex_;
  Clock::rep listener_empty_at_ = 0;               // guarded by mutex_
  std::array<Bucket, kTrackedSources> buckets_{};  // guarded by mutex_
};

}  // namespace netsvcd::connection
