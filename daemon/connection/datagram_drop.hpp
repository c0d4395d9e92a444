// DatagramDrop: why a UDP listener sent no answer to a datagram, for its counts and logs. Plain
// values.
#pragma once

#include <cstddef>
#include <string_view>

namespace netsvcd::connection {

enum class DatagramDrop : std::size_t {
  access,           // allow/deny
  reflection,       // to a service port, port 0, or a broadcast, multicast or unspecified address
  rate_per_source,  // udp_rate_per_source
  rate,             // udp_rate, the listener's cap
  send_failed,      // answered, but the kernel would not send it (never a guard's verdict)
};
inline constexpr std::size_t kDatagramDropKinds = 5;

// The reason as the metrics' `reason` label and the logs name it: "udp_rate_per_source".
constexpr std::string_view to_string(DatagramDrop reason) {
  switch (reason) {
    case DatagramDrop::access:
      return "access";
    case DatagramDrop::reflection:
      return "reflection";
    case DatagramDrop::rate_per_source:
      return "udp_rate_per_source";
    case DatagramDrop::rate:
      return "udp_rate";
    case DatagramDrop::send_failed:
      return "send_failed";
  }
  return "unknown";
}

}  // namespace netsvcd::connection
