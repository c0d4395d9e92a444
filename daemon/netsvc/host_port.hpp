// HOST[:PORT] as netsvc's subcommands take it: a name, an IPv4 address, [IPv6]:PORT, or a bare
// IPv6 address without a port. Pure parsing, no I/O; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "netsvc/exit_codes.hpp"

namespace netsvc {

struct HostPort {
  std::string host;  // without brackets
  std::uint16_t port;

  // "example.org:80", "[::1]:80": brackets around an IPv6 address, so the text parses back.
  std::string to_string() const;
};

// Failure (kExitUsage) names the text and what is wrong with it.
Outcome<HostPort> parse_host_port(std::string_view text, std::uint16_t default_port);

// A port number of 1-65535 in decimal, or nothing.
Outcome<std::uint16_t> parse_port(std::string_view text);

}  // namespace netsvc
