#include "config/endpoint.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <memory>

namespace netsvcd::config {
namespace ip = boost::asio::ip;
namespace {

constexpr std::string_view kForms =
    "expected host:port such as [::]:8080, 0.0.0.0:8080, 127.0.0.1:8080, [::1]:8080 or "
    "localhost:8080";

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [rest, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || rest != text.data() + text.size() || text.empty() || value == 0 ||
      value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

bool valid_host_name(std::string_view name) {
  return !name.empty() && name.size() <= 253 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
  });
}

Endpoint make_endpoint(const ip::address& address, std::uint16_t port, bool v6only) {
  if (address.is_v4()) return {address, port, false};
  // A specific IPv6 address never receives IPv4, so marking it v6only changes nothing on the
  // wire and gives each socket one exact identity.
  return {address, port, address.is_unspecified() ? v6only : true};
}

struct AddrinfoDeleter {
  void operator()(addrinfo* list) const { freeaddrinfo(list); }
};

std::variant<std::vector<ip::address>, std::string> resolve_name(const std::string& name) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* raw = nullptr;
  if (const int rc = getaddrinfo(name.c_str(), nullptr, &hints, &raw); rc != 0) {
    return "cannot resolve \"" + name + "\": " + gai_strerror(rc);
  }
  std::unique_ptr<addrinfo, AddrinfoDeleter> list(raw);
  std::vector<ip::address> addresses;
  for (const addrinfo* ai = list.get(); ai; ai = ai->ai_next) {
    ip::address address;
    if (ai->ai_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(ai->ai_addr);
      address = ip::address_v4(ntohl(sin->sin_addr.s_addr));
    } else if (ai->ai_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(ai->ai_addr);
      ip::address_v6::bytes_type bytes;
      std::copy(std::begin(sin6->sin6_addr.s6_addr), std::end(sin6->sin6_addr.s6_addr),
                bytes.begin());
      address = ip::address_v6(bytes, sin6->sin6_scope_id);
    } else {
      continue;
    }
    if (std::find(addresses.begin(), addresses.end(), address) == addresses.end()) {
      addresses.push_back(address);
    }
  }
  if (addresses.empty()) return "\"" + name + "\" has no IPv4 or IPv6 address";
  return addresses;
}

// What one endpoint takes of one address family: nothing, every address, or one address.
struct FamilyClaim {
  enum { kNone, kAny, kOne } scope = kNone;
  ip::address address;

  bool overlaps(const FamilyClaim& other) const {
    if (scope == kNone || other.scope == kNone) return false;
    return scope == kAny || other.scope == kAny || address == other.address;
  }
};

FamilyClaim claim_v4(const Endpoint& e) {
  if (e.address.is_v4()) {
    return {e.address.is_unspecified() ? FamilyClaim::kAny : FamilyClaim::kOne, e.address};
  }
  return {e.dual_stack() ? FamilyClaim::kAny : FamilyClaim::kNone, {}};
}

FamilyClaim claim_v6(const Endpoint& e) {
  if (e.address.is_v4()) return {};
  return {e.address.is_unspecified() ? FamilyClaim::kAny : FamilyClaim::kOne, e.address};
}

// host:port without a protocol: the endpoints it stands for, TCP, or what is wrong with it.
std::variant<std::vector<Endpoint>, std::string> resolve_address(std::string_view text,
                                                                 bool v6only);

}  // namespace

std::string to_string(const Endpoint& endpoint) {
  const std::string scheme = endpoint.transport == Transport::udp ? "udp://" : "";
  const std::string port = std::to_string(endpoint.port);
  if (endpoint.address.is_v6()) return scheme + '[' + endpoint.address.to_string() + "]:" + port;
  return scheme + endpoint.address.to_string() + ':' + port;
}

std::variant<std::vector<Endpoint>, std::string> resolve_listen(std::string_view text,
                                                                bool v6only) {
  Transport transport = Transport::tcp;
  if (const auto scheme_end = text.find("://"); scheme_end != std::string_view::npos) {
    const std::string_view scheme = text.substr(0, scheme_end);
    if (scheme == "udp") {
      transport = Transport::udp;
    } else if (scheme != "tcp") {
      return "unknown protocol \"" + std::string(scheme) + "://\" (expected tcp:// or udp://)";
    }
    text.remove_prefix(scheme_end + 3);
  }
  auto endpoints = resolve_address(text, v6only);
  if (auto* list = std::get_if<std::vector<Endpoint>>(&endpoints)) {
    for (Endpoint& endpoint : *list)
      endpoint.transport = transport;
  }
  return endpoints;
}

namespace {

std::variant<std::vector<Endpoint>, std::string> resolve_address(std::string_view text,
                                                                 bool v6only) {
  std::string_view host;
  std::string_view port_text;
  bool bracketed = false;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos)
      return "missing ']' after the IPv6 address; " + std::string(kForms);
    host = text.substr(1, close - 1);
    if (close + 1 >= text.size() || text[close + 1] != ':') {
      return "missing :port after ']'; " + std::string(kForms);
    }
    port_text = text.substr(close + 2);
    bracketed = true;
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return "missing :port; " + std::string(kForms);
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return "an IPv6 address needs brackets, as in [::1]:8080";
    }
  }
  const auto port = parse_port(port_text);
  if (!port) return "bad port \"" + std::string(port_text) + "\" (expected 1 to 65535)";
  if (host.empty()) {
    return "missing host: write [::]:" + std::to_string(*port) +
           " for every address or 0.0.0.0:" + std::to_string(*port) + " for every IPv4 address";
  }

  const std::string host_string(host);
  boost::system::error_code ec;
  if (bracketed) {
    const auto address = ip::make_address_v6(host_string, ec);
    if (ec) return "bad IPv6 address \"" + host_string + "\"";
    // Asio reads an unknown interface name as scope 0 instead of failing.
    if (host.find('%') != std::string_view::npos && address.scope_id() == 0) {
      return "unknown interface in \"" + host_string + "\"";
    }
    if (address.is_v4_mapped()) {
      return "an IPv4-mapped address; write the IPv4 address itself, as in " +
             ip::make_address_v4(ip::v4_mapped, address).to_string() + ":" + std::to_string(*port);
    }
    return std::vector{make_endpoint(address, *port, v6only)};
  }
  if (const auto address = ip::make_address_v4(host_string, ec); !ec) {
    return std::vector{make_endpoint(address, *port, v6only)};
  }
  // getaddrinfo would take "127.1" as 127.0.0.1: a typo must not pass as another address.
  if (host.find_first_not_of("0123456789.") == std::string_view::npos) {
    return "bad IPv4 address \"" + host_string + "\"";
  }
  if (!valid_host_name(host)) return "bad host \"" + host_string + "\"; " + std::string(kForms);
  auto resolved = resolve_name(host_string);
  if (auto* message = std::get_if<std::string>(&resolved)) return std::move(*message);
  std::vector<Endpoint> endpoints;
  for (const auto& address : std::get<std::vector<ip::address>>(resolved)) {
    endpoints.push_back(make_endpoint(address, *port, v6only));
  }
  return endpoints;
}

}  // namespace

std::optional<std::string> bind_conflict(const Endpoint& a, const Endpoint& b) {
  if (a.port != b.port || a.transport != b.transport) return std::nullopt;
  const std::string port = std::to_string(a.port);
  if (a.address == b.address) return "the same address and port twice";
  if (claim_v4(a).overlaps(claim_v4(b))) {
    if (a.dual_stack() || b.dual_stack()) {
      return "[::]:" + port +
             " is dual-stack and already takes IPv4 on that port (give its listener "
             "v6only: true to share the port with IPv4 listeners)";
    }
    return "0.0.0.0:" + port + " already takes every IPv4 address on that port";
  }
  if (claim_v6(a).overlaps(claim_v6(b))) {
    return "[::]:" + port + " already takes every IPv6 address on that port";
  }
  return std::nullopt;
}

}  // namespace netsvcd::config
