#include "connection/proxy_header.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

namespace netsvcd::connection {
namespace {

namespace ip = boost::asio::ip;
using Status = ProxyHeader::Status;

constexpr std::string_view kV1Start = "PROXY ";
constexpr std::string_view kV2Signature{"\r\n\r\n\0\r\nQUIT\n", 12};
constexpr std::size_t kV2Fixed = 16;  // signature, version and command, family, length

ProxyHeader malformed(int version, std::string_view why) {
  return {Status::malformed, version, 0, std::nullopt, why};
}

ProxyHeader incomplete(int version) {
  return {Status::incomplete, version, 0, std::nullopt, {}};
}

ProxyHeader complete(int version, std::size_t length, std::optional<Peer> client) {
  return {Status::complete, version, length, client, {}};
}

// -- version 1: one line of text --------------------------------------------------------------

// The next field of a line whose fields are separated by exactly one space; `rest` moves past
// it and its space. Empty when two spaces meet or the line ends.
std::string_view next_field(std::string_view& rest) {
  const auto space = rest.find(' ');
  const std::string_view field = rest.substr(0, space);
  rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  return field;
}

// A decimal number of at most `max`, with no sign, no leading zero and at least one digit.
std::optional<unsigned> decimal(std::string_view text, unsigned max) {
  if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  unsigned value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > max) return std::nullopt;
  return value;
}

// Four numbers of 0-255 with three dots between, and no leading zeros (which some parsers read
// as octal), as the spec requires.
std::optional<ip::address_v4> dotted_quad(std::string_view text) {
  ip::address_v4::bytes_type bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto dot = text.find('.');
    if ((i < 3) == (dot == std::string_view::npos)) return std::nullopt;
    const auto part = decimal(text.substr(0, dot), 255);
    if (!part) return std::nullopt;
    bytes[i] = static_cast<std::uint8_t>(*part);
    text = i < 3 ? text.substr(dot + 1) : std::string_view();
  }
  return ip::address_v4(bytes);
}

// An IPv6 address as inet_pton reads it (hexadecimal groups, one "::", an IPv4 tail), without a
// scope.
std::optional<ip::address_v6> ipv6(std::string_view text) {
  std::array<char, 64> terminated{};
  if (text.empty() || text.size() >= terminated.size()) return std::nullopt;
  std::copy(text.begin(), text.end(), terminated.begin());
  ip::address_v6::bytes_type bytes{};
  if (::inet_pton(AF_INET6, terminated.data(), bytes.data()) != 1) return std::nullopt;
  return ip::address_v6(bytes);
}

std::optional<ip::address> address_of(std::string_view text, bool v4) {
  if (v4) {
    if (auto address = dotted_quad(text)) return ip::address(*address);
  } else if (auto address = ipv6(text)) {
    return ip::address(*address);
  }
  return std::nullopt;
}

// The fields after "PROXY " of a whole line (its CRLF taken off).
ProxyHeader parse_v1_line(std::string_view fields, std::size_t length) {
  // UNKNOWN: whatever follows it is to be ignored, and the connection's own peer stands.
  if (fields == "UNKNOWN" || fields.starts_with("UNKNOWN ")) return complete(1, length, {});
  const std::string_view protocol = next_field(fields);
  if (protocol != "TCP4" && protocol != "TCP6") {
    return malformed(1, "v1 protocol is neither TCP4, TCP6 nor UNKNOWN");
  }
  const bool v4 = protocol == "TCP4";
  const std::string_view source = next_field(fields);
  const std::string_view destination = next_field(fields);
  const std::string_view source_port = next_field(fields);
  const std::string_view destination_port = fields;  // the rest of the line
  if (source.empty() || destination.empty() || source_port.empty() || destination_port.empty() ||
      destination_port.find(' ') != std::string_view::npos) {
    return malformed(1, "v1 line without its four fields, one space apart");
  }
  const auto client = address_of(source, v4);
  if (!client || !address_of(destination, v4)) {
    return malformed(1, v4 ? "v1 address is not a dotted quad (0-255, no leading zeros)"
                           : "v1 address is not an IPv6 address");
  }
  const auto port = decimal(source_port, 65535);
  if (!port || !decimal(destination_port, 65535)) {
    return malformed(1, "v1 port is not a number from 0 to 65535 without leading zeros");
  }
  return complete(1, length, Peer{*client, static_cast<std::uint16_t>(*port)});
}

ProxyHeader parse_v1(std::string_view bytes) {
  const std::size_t start = std::min(bytes.size(), kV1Start.size());
  if (bytes.substr(0, start) != kV1Start.substr(0, start)) {
    return malformed(1, "does not start with \"PROXY \" (v1) or the v2 signature");
  }
  // Only printable ASCII until the line's CRLF; a lone CR or LF is an error, not a line end.
  const std::size_t searched = std::min(bytes.size(), kMaxProxyV1);
  for (std::size_t i = 0; i < searched; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c == '\r') {
      if (i + 1 == kMaxProxyV1) break;  // its LF would be the 108th byte
      if (i + 1 == bytes.size()) return incomplete(1);
      if (bytes[i + 1] != '\n') return malformed(1, "v1 line with a CR not followed by LF");
      return parse_v1_line(bytes.substr(kV1Start.size(), i - kV1Start.size()), i + 2);
    }
    if (c == '\n') return malformed(1, "v1 line ends in LF without CR");
    if (c < 0x20 || c > 0x7e)
      return malformed(1, "v1 line with a byte that is not printable ASCII");
  }
  if (searched < kMaxProxyV1) return incomplete(1);
  return malformed(1, "v1 line without CRLF within 107 bytes");
}

// -- version 2: binary ------------------------------------------------------------------------

std::uint16_t big_endian16(std::string_view bytes, std::size_t at) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(bytes[at]) << 8 |
                                    static_cast<unsigned char>(bytes[at + 1]));
}

enum Command : unsigned { kLocal = 0x0, kProxy = 0x1 };
enum Family : unsigned { kUnspecFamily = 0x0, kInet = 0x1, kInet6 = 0x2, kUnix = 0x3 };
enum Protocol : unsigned { kUnspecProtocol = 0x0, kStream = 0x1, kDgram = 0x2 };

// The address block's size for each family: two addresses, then two ports for the internet
// families.
constexpr std::size_t kAddressBlock[] = {0, 2 * 4 + 2 * 2, 2 * 16 + 2 * 2, 2 * 108};

ProxyHeader parse_v2(std::string_view bytes) {
  const std::size_t start = std::min(bytes.size(), kV2Signature.size());
  if (bytes.substr(0, start) != kV2Signature.substr(0, start)) {
    return malformed(2, "does not start with \"PROXY \" (v1) or the v2 signature");
  }
  // Each fixed byte is checked as soon as it is there, so that junk is refused at once.
  if (bytes.size() <= 12) return incomplete(2);
  const auto version_command = static_cast<unsigned char>(bytes[12]);
  if (version_command >> 4 != 2) return malformed(2, "v2 header with a version other than 2");
  const unsigned command = version_command & 0xF;
  if (command != kLocal && command != kProxy) {
    return malformed(2, "v2 command is neither LOCAL nor PROXY");
  }
  if (bytes.size() <= 13) return incomplete(2);
  const auto family_protocol = static_cast<unsigned char>(bytes[13]);
  const unsigned family = family_protocol >> 4;
  const unsigned protocol = family_protocol & 0xF;
  // LOCAL ignores the family byte whole, as the spec says.
  if (command == kProxy && (family > kUnix || protocol > kDgram)) {
    return malformed(2, "v2 address family or protocol is not one the spec defines");
  }
  if (bytes.size() < kV2Fixed) return incomplete(2);
  const std::size_t length = kV2Fixed + big_endian16(bytes, 14);
  if (length > kMaxProxyV2) return malformed(2, "v2 header longer than 4096 bytes");
  if (bytes.size() < length) return incomplete(2);

  // A health check of the proxy's own, or a connection it cannot describe: the connection's
  // own peer stands, and the rest of the header is skipped unread.
  if (command == kLocal || family == kUnspecFamily || protocol == kUnspecProtocol) {
    return complete(2, length, {});
  }
  const std::string_view block = bytes.substr(kV2Fixed, length - kV2Fixed);
  const std::size_t addresses = kAddressBlock[family];
  if (block.size() < addresses) {
    return malformed(2, "v2 length too short for its family's addresses");
  }
  // Type, a 2-byte length, and that many bytes; skipped, each within the header.
  for (std::string_view tlvs = block.substr(addresses); !tlvs.empty();) {
    if (tlvs.size() < 3) return malformed(2, "v2 TLV cut short in its type and length");
    const std::size_t value = big_endian16(tlvs, 1);
    if (value > tlvs.size() - 3) return malformed(2, "v2 TLV longer than the header");
    tlvs.remove_prefix(3 + value);
  }
  // UDP and AF_UNIX name no client that netsvcd's TCP services could have: the spec lets a
  // receiver treat what it does not support as unspecified.
  if (protocol != kStream || (family != kInet && family != kInet6)) return complete(2, length, {});
  std::optional<Peer> client;
  if (family == kInet) {
    ip::address_v4::bytes_type source;
    std::memcpy(source.data(), block.data(), source.size());
    client = Peer{ip::address_v4(source), big_endian16(block, 8)};
  } else {
    ip::address_v6::bytes_type source;
    std::memcpy(source.data(), block.data(), source.size());
    client = Peer{ip::address_v6(source), big_endian16(block, 32)};
  }
  return complete(2, length, client);
}

}  // namespace

ProxyHeader parse_proxy_header(std::string_view bytes) {
  if (bytes.empty()) return incomplete(0);
  if (bytes[0] == kV2Signature[0]) return parse_v2(bytes);
  return parse_v1(bytes);
}

}  // namespace netsvcd::connection
