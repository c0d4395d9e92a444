// Endpoint: one address a listener binds, as plain values, and the rules for writing and
// reading them: "[::]:8080" (dual-stack unless v6only), "0.0.0.0:8080", "127.0.0.1:8080",
// "[::1]:8080", "localhost:8080" (every address the name resolves to). Also which pairs of
// endpoints the kernel cannot bind side by side. Pure functions apart from name resolution.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <variant>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace netsvcd::config {

// The largest payload of one UDP datagram over IPv4 (65,535 less the IP and UDP headers); IPv6
// carries 20 bytes more, but an answer must fit whichever family the client uses.
inline constexpr std::size_t kMaxDatagramPayload = 65507;

// How a listening socket takes its clients: stream connections (TCP) or datagrams (UDP). A
// TCP and a UDP socket of the same address and port are two sockets that never clash.
enum class Transport { tcp, udp };

// The identity of a listening socket: address, port, transport and, for IPv6, whether
// IPv4-mapped clients are refused. Two endpoints are the same socket exactly when they are equal.
struct Endpoint {
  boost::asio::ip::address address;
  std::uint16_t port = 0;
  // IPV6_V6ONLY. Only a wildcard [::] can take IPv4, so it is false for IPv4 endpoints and true
  // for every specific IPv6 address.
  bool v6only = false;
  Transport transport = Transport::tcp;

  bool dual_stack() const { return address.is_v6() && address.is_unspecified() && !v6only; }
  bool operator==(const Endpoint&) const = default;
  friend bool operator<(const Endpoint& a, const Endpoint& b) {
    return std::tie(a.address, a.port, a.v6only, a.transport) <
           std::tie(b.address, b.port, b.v6only, b.transport);
  }
};

// "[::]:8080", "127.0.0.1:8013", "[::1]:8013"; a UDP one as "udp://127.0.0.1:8013".
std::string to_string(const Endpoint& endpoint);

// Every endpoint that the listen entry `text` stands for, or a message saying what is wrong with
// it. `v6only` is the listener's setting, applied to a wildcard [::]. "udp://" before the
// address makes its endpoints UDP; without it, or with "tcp://", they are TCP.
std::variant<std::vector<Endpoint>, std::string> resolve_listen(std::string_view text, bool v6only);

// Why the kernel would refuse to bind `a` and `b` together, or nullopt if it would not.
std::optional<std::string> bind_conflict(const Endpoint& a, const Endpoint& b);

}  // namespace netsvcd::config
