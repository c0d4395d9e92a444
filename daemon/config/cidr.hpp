// Cidr: one entry of an access list, "10.0.0.0/8", "2001:db8::/32" or a single address
// ("127.0.0.1", "::1"), and whether a client's address falls in it. An IPv4-mapped IPv6 address
// (a client of a dual-stack socket) is matched as the IPv4 address it carries, by IPv4 entries
// only; IPv6 entries match only real IPv6 clients. Plain values, pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include <boost/asio/ip/address.hpp>

namespace netsvcd::config {

struct Cidr {
  bool v4 = true;
  std::array<std::uint8_t, 16> bytes{};  // the network; only the first 4 for IPv4
  unsigned prefix = 32;                  // bits that must match

  bool contains(const boost::asio::ip::address& address) const;
  bool operator==(const Cidr&) const = default;
};

// The entry `text` spells, or a message saying what is wrong: not an address, a prefix out of
// range, or bits set past the prefix ("10.1.0.0/8" is "10.0.0.0/8" or a typo: refused).
std::variant<Cidr, std::string> parse_cidr(std::string_view text);

// "10.0.0.0/8", "::1/128".
std::string to_string(const Cidr& cidr);

// An IPv4-mapped IPv6 address as the IPv4 address it carries; anything else as it is.
boost::asio::ip::address unmapped(const boost::asio::ip::address& address);

}  // namespace netsvcd::config
