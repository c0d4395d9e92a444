// Limits: who may connect to a listener and how much: concurrent connections in all and per
// source, new connections per second, the access lists, and the datagrams answered per second. Read
// per listener, each key falling back to the top-level `defaults:` block; nothing set means no
// limit. Plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "config/cidr.hpp"
#include "config/rate.hpp"

namespace netsvcd::config {

struct Limits {
  std::optional<std::uint64_t> max_connections;  // open at once
  // Open at once from one IPv4 address, or from one IPv6 /64 (what one host usually holds).
  std::optional<std::uint64_t> max_per_source;
  std::optional<Rate> rate_limit;  // new connections
  std::vector<Cidr> allow;         // if any, only these may connect
  std::vector<Cidr> deny;          // checked after allow
  // Datagrams answered per second to one source and by the whole listener, for udp://
  // addresses only; unset, connection/datagram_guard.hpp's defaults apply.
  std::optional<Rate> udp_rate_per_source;
  std::optional<Rate> udp_rate;

  bool any() const {
    return max_connections || max_per_source || rate_limit || !allow.empty() || !deny.empty();
  }
  bool operator==(const Limits&) const = default;
};

class MappingReader;

// The list of addresses or networks under `key` (allow, deny, proxy_from): one entry or a list
// of them; nullopt when the key is absent. Problems go to the reader's errors, each at its entry.
std::optional<std::vector<Cidr>> read_networks(MappingReader& reader, std::string_view key);

// The limit keys of one mapping (a listener, or `defaults:`), each absent one taken from
// `defaults`. Problems go to the reader's errors, with where they are.
Limits read_limits(MappingReader& reader, const Limits& defaults);

}  // namespace netsvcd::config
