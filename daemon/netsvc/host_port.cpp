#include "netsvc/host_port.hpp"

#include <algorithm>
#include <charconv>

namespace netsvc {

std::string HostPort::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Outcome<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < 1 ||
      value > 65535) {
    return Failure{kExitUsage, "bad port \"" + std::string(text) + "\" (expected 1-65535)"};
  }
  return static_cast<std::uint16_t>(value);
}

Outcome<HostPort> parse_host_port(std::string_view text, std::uint16_t default_port) {
  const auto bad = [&](std::string_view why) {
    return Failure{kExitUsage,
                   "bad HOST[:PORT] \"" + std::string(text) + "\": " + std::string(why)};
  };
  std::string_view host = text;
  std::string_view port;
  bool has_port = false;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return bad("no ']' after the IPv6 address");
    host = text.substr(1, close - 1);
    const auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad("expected ':PORT' after ']'");
      port = rest.substr(1);
      has_port = true;
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    const auto colon = text.find(':');
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    has_port = true;
  }
  // More than one colon without brackets: a bare IPv6 address, which cannot carry a port.
  if (host.empty()) return bad("no host");
  if (host.find_first_of(" /\t\r\n") != std::string_view::npos) return bad("not a host name");
  if (!has_port) return HostPort{std::string(host), default_port};
  auto number = parse_port(port);
  if (!number) return bad(number.failure().message);
  return HostPort{std::string(host), *number};
}

}  // namespace netsvc
