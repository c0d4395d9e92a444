// Unit tests for daemon/connection/proxy_header.*: the PROXY protocol's v1 line and v2 binary
// header, read from the bytes at the front of a connection: where the header ends, the client it
// names (or none), a header not yet whole, and every way one is malformed, with the bounds on
// each length. Each result is compared whole, as one line of text.
#include <arpa/inet.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "connection/proxy_header.hpp"

namespace {

using netsvcd::connection::kMaxProxyV1;
using netsvcd::connection::kMaxProxyV2;
using netsvcd::connection::parse_proxy_header;
using netsvcd::connection::ProxyHeader;

const std::string kSignature{"\r\n\r\n\0\r\nQUIT\n", 12};

// "complete v1 58: 192.0.2.1:56324", "complete v2 16: no client", "incomplete v1",
// "malformed v2: why".
std::string outcome(std::string_view bytes) {
  const ProxyHeader header = parse_proxy_header(bytes);
  const std::string version = "v" + std::to_string(header.version);
  switch (header.status) {
    case ProxyHeader::Status::incomplete:
      return "incomplete " + version;
    case ProxyHeader::Status::malformed:
      return "malformed " + version + ": " + std::string(header.error);
    case ProxyHeader::Status::complete:
      return "complete " + version + " " + std::to_string(header.length) + ": " +
             (header.client ? header.client->describe() : "no client");
  }
  return "?";
}

std::string big_endian16(std::size_t value) {
  return {static_cast<char>(value >> 8 & 0xFF), static_cast<char>(value & 0xFF)};
}

// A v2 header: version and command byte, family and protocol byte, then `block` (addresses and
// TLVs) with its length.
std::string v2(unsigned char version_command, unsigned char family_protocol,
               const std::string& block) {
  return kSignature + static_cast<char>(version_command) + static_cast<char>(family_protocol) +
         big_endian16(block.size()) + block;
}

// The bytes of an address, in network order. (Run by static initialisers, before any test:
// no Catch2 assertion here.)
std::string address_bytes(int family, const char* text) {
  std::string bytes(family == AF_INET ? 4 : 16, '\0');
  if (::inet_pton(family, text, bytes.data()) != 1) throw std::invalid_argument(text);
  return bytes;
}

std::string ipv4(const char* text) {
  return address_bytes(AF_INET, text);
}

std::string ipv6(const char* text) {
  return address_bytes(AF_INET6, text);
}

std::string tlv(unsigned char type, const std::string& value) {
  return static_cast<char>(type) + big_endian16(value.size()) + value;
}

const std::string kTcp4Block =
    ipv4("203.0.113.7") + ipv4("192.0.2.1") + big_endian16(5555) + big_endian16(443);
const std::string kTcp6Block =
    ipv6("2001:db8::7") + ipv6("2001:db8::1") + big_endian16(5555) + big_endian16(443);

// Every strict prefix of `header` is a header not yet whole.
void check_prefixes_incomplete(const std::string& header, const std::string& expected) {
  for (std::size_t size = 1; size < header.size(); ++size) {
    INFO("the first " << size << " of " << header.size() << " bytes");
    REQUIRE(outcome(header.substr(0, size)) == expected);
  }
}

}  // namespace

TEST_CASE("proxy header: nothing yet is a header not yet whole", "[proxy]") {
  CHECK(outcome("") == "incomplete v0");
}

TEST_CASE("proxy header v1: TCP4 names the client, and what follows the line is not the header's",
          "[proxy][v1]") {
  const std::string line = "PROXY TCP4 203.0.113.7 192.0.2.1 5555 443\r\n";
  CHECK(outcome(line) == "complete v1 43: 203.0.113.7:5555");
  CHECK(outcome(line + "GET / HTTP/1.1\r\nHost: x\r\n\r\n") == "complete v1 43: 203.0.113.7:5555");
  // The longest TCP4 line, and the smallest numbers.
  CHECK(outcome("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n") ==
        "complete v1 56: 255.255.255.255:65535");
  CHECK(outcome("PROXY TCP4 0.0.0.0 0.0.0.0 0 0\r\n") == "complete v1 32: 0.0.0.0:0");
  check_prefixes_incomplete(line, "incomplete v1");
}

TEST_CASE("proxy header v1: TCP6 names the client, in any of IPv6's spellings", "[proxy][v1]") {
  CHECK(outcome("PROXY TCP6 2001:db8::7 2001:db8::1 5555 443\r\n") ==
        "complete v1 45: [2001:db8::7]:5555");
  // The longest line the spec counts: 104 bytes.
  const std::string full =
      "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
      "FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF 65535 65535\r\n";
  CHECK(full.size() == 104);
  CHECK(outcome(full) == "complete v1 104: [ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
  CHECK(outcome("PROXY TCP6 ::ffff:203.0.113.7 ::1 5555 443\r\n") ==
        "complete v1 44: [::ffff:203.0.113.7]:5555");
  check_prefixes_incomplete(full, "incomplete v1");
}

TEST_CASE("proxy header v1: UNKNOWN names no client, whatever follows it on the line",
          "[proxy][v1]") {
  CHECK(outcome("PROXY UNKNOWN\r\n") == "complete v1 15: no client");
  CHECK(outcome("PROXY UNKNOWN\r\nhello") == "complete v1 15: no client");
  // The worst case the spec counts: exactly 107 bytes.
  const std::string worst =
      "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
  CHECK(worst.size() == kMaxProxyV1);
  CHECK(outcome(worst) == "complete v1 107: no client");
  CHECK(outcome("PROXY UNKNOWN anything at all\r\n") == "complete v1 31: no client");
  check_prefixes_incomplete(worst, "incomplete v1");
}

TEST_CASE("proxy header v1: a line without CRLF within 107 bytes is malformed", "[proxy][v1]") {
  const std::string start = "PROXY UNKNOWN ";
  CHECK(outcome(start + std::string(106 - start.size(), 'x')) == "incomplete v1");
  CHECK(outcome(start + std::string(107 - start.size(), 'x')) ==
        "malformed v1: v1 line without CRLF within 107 bytes");
  CHECK(outcome(start + std::string(200, 'x') + "\r\n") ==
        "malformed v1: v1 line without CRLF within 107 bytes");
  // A CR as the 107th byte: its LF would make the line 108 bytes long.
  CHECK(outcome(start + std::string(106 - start.size(), 'x') + "\r") ==
        "malformed v1: v1 line without CRLF within 107 bytes");
  CHECK(outcome(start + std::string(106 - start.size(), 'x') + "\r\n") ==
        "malformed v1: v1 line without CRLF within 107 bytes");
  CHECK(outcome(start + std::string(105 - start.size(), 'x') + "\r\n") ==
        "complete v1 107: no client");
}

TEST_CASE("proxy header v1: every malformed line says why", "[proxy][v1][errors]") {
  const std::string not_a_header =
      "malformed v1: does not start with \"PROXY \" (v1) or the v2 signature";
  CHECK(outcome("GET / HTTP/1.1\r\n") == not_a_header);
  CHECK(outcome("G") == not_a_header);
  CHECK(outcome("proxy TCP4 203.0.113.7 192.0.2.1 5555 443\r\n") == not_a_header);
  CHECK(outcome("PROXY\r\n") == not_a_header);
  CHECK(outcome("PROXYTCP4") == not_a_header);
  const std::string protocol = "malformed v1: v1 protocol is neither TCP4, TCP6 nor UNKNOWN";
  CHECK(outcome("PROXY TCP5 203.0.113.7 192.0.2.1 5555 443\r\n") == protocol);
  CHECK(outcome("PROXY UDP4 203.0.113.7 192.0.2.1 5555 443\r\n") == protocol);
  CHECK(outcome("PROXY UNKNOWNX\r\n") == protocol);
  CHECK(outcome("PROXY \r\n") == protocol);
  CHECK(outcome("PROXY  TCP4 203.0.113.7 192.0.2.1 5555 443\r\n") == protocol);
  const std::string fields = "malformed v1: v1 line without its four fields, one space apart";
  CHECK(outcome("PROXY TCP4\r\n") == fields);
  CHECK(outcome("PROXY TCP4 203.0.113.7 192.0.2.1 5555\r\n") == fields);
  CHECK(outcome("PROXY TCP4 203.0.113.7  192.0.2.1 5555 443\r\n") == fields);
  CHECK(outcome("PROXY TCP4 203.0.113.7 192.0.2.1 5555 443 \r\n") == fields);
  const std::string quad =
      "malformed v1: v1 address is not a dotted quad (0-255, no leading zeros)";
  CHECK(outcome("PROXY TCP4 203.0.113.07 192.0.2.1 5555 443\r\n") == quad);
  CHECK(outcome("PROXY TCP4 256.0.113.7 192.0.2.1 5555 443\r\n") == quad);
  CHECK(outcome("PROXY TCP4 203.0.113 192.0.2.1 5555 443\r\n") == quad);
  CHECK(outcome("PROXY TCP4 203.0.113.7.1 192.0.2.1 5555 443\r\n") == quad);
  CHECK(outcome("PROXY TCP4 203.0..7 192.0.2.1 5555 443\r\n") == quad);
  CHECK(outcome("PROXY TCP4 203.0.113.7 192.0.2.x 5555 443\r\n") == quad);  // the destination
  CHECK(outcome("PROXY TCP4 2001:db8::7 192.0.2.1 5555 443\r\n") == quad);  // the wrong family
  const std::string v6 = "malformed v1: v1 address is not an IPv6 address";
  CHECK(outcome("PROXY TCP6 203.0.113.7 2001:db8::1 5555 443\r\n") == v6);
  CHECK(outcome("PROXY TCP6 2001:db8::7::1 2001:db8::1 5555 443\r\n") == v6);
  CHECK(outcome("PROXY TCP6 fe80::1%eth0 2001:db8::1 5555 443\r\n") == v6);
  CHECK(outcome("PROXY TCP6 2001:db8::7 2001:db8:::1 5555 443\r\n") == v6);
  const std::string port =
      "malformed v1: v1 port is not a number from 0 to 65535 without leading "
      "zeros";
  CHECK(outcome("PROXY TCP4 203.0.113.7 192.0.2.1 65536 443\r\n") == port);
  CHECK(outcome("PROXY TCP4 203.0.113.7 192.0.2.1 05555 443\r\n") == port);
  CHECK(outcome("PROXY TCP4 203.0.113.7 192.0.2.1 -1 443\r\n") == port);
  CHECK(outcome("PROXY TCP4 203.0.113.7 192.0.2.1 +5 443\r\n") == port);
  CHECK(outcome("PROXY TCP4 203.0.113.7 192.0.2.1 5555 4430000\r\n") == port);
  CHECK(outcome("PROXY TCP4 203.0.113.7 192.0.2.1 5555 44a\r\n") == port);
  // Line ends: CRLF only, and a lone CR is refused as soon as the byte after it is not LF.
  CHECK(outcome("PROXY TCP4 203.0.113.7 192.0.2.1 5555 443\n") ==
        "malformed v1: v1 line ends in LF without CR");
  CHECK(outcome("PROXY TCP4 203.0.113.7 192.0.2.1 5555 443\rX") ==
        "malformed v1: v1 line with a CR not followed by LF");
  CHECK(outcome("PROXY TCP4 203.0.113.7 192.0.2.1 5555 443\r") == "incomplete v1");
  CHECK(outcome(std::string("PROXY TCP4 203.0.113.7\0", 23)) ==
        "malformed v1: v1 line with a byte that is not printable ASCII");
  CHECK(outcome("PROXY UNKNOWN \xc3\xa9\r\n") ==
        "malformed v1: v1 line with a byte that is not printable ASCII");
  CHECK(outcome("PROXY TCP4\t203.0.113.7") ==
        "malformed v1: v1 line with a byte that is not printable ASCII");
}

TEST_CASE("proxy header v2: PROXY over TCP names the client, IPv4 and IPv6", "[proxy][v2]") {
  const std::string tcp4 = v2(0x21, 0x11, kTcp4Block);
  CHECK(outcome(tcp4) == "complete v2 28: 203.0.113.7:5555");
  CHECK(outcome(tcp4 + "GET / HTTP/1.1\r\n") == "complete v2 28: 203.0.113.7:5555");
  check_prefixes_incomplete(tcp4, "incomplete v2");
  const std::string tcp6 = v2(0x21, 0x21, kTcp6Block);
  CHECK(outcome(tcp6) == "complete v2 52: [2001:db8::7]:5555");
  check_prefixes_incomplete(tcp6, "incomplete v2");
}

TEST_CASE("proxy header v2: TLVs after the addresses are skipped, within the header",
          "[proxy][v2]") {
  // ALPN, an authority (SNI), a unique ID, an empty NOOP, an SSL TLV with sub-TLVs, and AWS's
  // VPC endpoint ID (a type of its own, 0xEA).
  const std::string tlvs = tlv(0x01, "h2") + tlv(0x02, "words.example") +
                           tlv(0x05, std::string(128, 'u')) + tlv(0x04, "") +
                           tlv(0x20, std::string("\x01\0\0\0\0", 5) + tlv(0x21, "TLSv1.3")) +
                           tlv(0xEA, "\x01vpce-0123456789abcdef");
  const std::string header = v2(0x21, 0x11, kTcp4Block + tlvs);
  CHECK(outcome(header + "rest") ==
        "complete v2 " + std::to_string(header.size()) + ": 203.0.113.7:5555");
  check_prefixes_incomplete(header, "incomplete v2");
  CHECK(outcome(v2(0x21, 0x21, kTcp6Block + tlvs)) ==
        "complete v2 " + std::to_string(52 + tlvs.size()) + ": [2001:db8::7]:5555");
}

TEST_CASE("proxy header v2: LOCAL, UNSPEC, UDP and AF_UNIX keep the connection's own peer",
          "[proxy][v2]") {
  // LOCAL (a proxy's health check): the block is skipped unread, whatever it holds.
  CHECK(outcome(v2(0x20, 0x00, "")) == "complete v2 16: no client");
  CHECK(outcome(v2(0x20, 0x11, kTcp4Block)) == "complete v2 28: no client");
  CHECK(outcome(v2(0x20, 0xFF, "xyz")) == "complete v2 19: no client");
  // PROXY with an unspecified family or protocol: the addresses are to be ignored.
  CHECK(outcome(v2(0x21, 0x00, "")) == "complete v2 16: no client");
  CHECK(outcome(v2(0x21, 0x00, "anything")) == "complete v2 24: no client");
  CHECK(outcome(v2(0x21, 0x10, "ab")) == "complete v2 18: no client");
  // UDP, and AF_UNIX: no client netsvcd's TCP services could have.
  CHECK(outcome(v2(0x21, 0x12, kTcp4Block)) == "complete v2 28: no client");
  CHECK(outcome(v2(0x21, 0x22, kTcp6Block)) == "complete v2 52: no client");
  CHECK(outcome(v2(0x21, 0x31, std::string(216, '\0'))) == "complete v2 232: no client");
  CHECK(outcome(v2(0x21, 0x32, std::string(216, '\0') + tlv(0x04, "x"))) ==
        "complete v2 236: no client");
}

TEST_CASE("proxy header v2: the length is capped at 4096 bytes in all", "[proxy][v2]") {
  CHECK(kMaxProxyV2 == 4096);
  const std::string largest = v2(0x21, 0x11, kTcp4Block + tlv(0x04, std::string(4096 - 31, 'n')));
  CHECK(largest.size() == kMaxProxyV2);
  CHECK(outcome(largest) == "complete v2 4096: 203.0.113.7:5555");
  CHECK(outcome(largest.substr(0, 4095)) == "incomplete v2");
  // One more byte announced is refused from the 16 fixed bytes alone, before any more come.
  const std::string over = v2(0x21, 0x11, kTcp4Block + tlv(0x04, std::string(4096 - 30, 'n')));
  CHECK(outcome(over.substr(0, 16)) == "malformed v2: v2 header longer than 4096 bytes");
  CHECK(outcome(kSignature + "\x21\x11\xff\xff") ==
        "malformed v2: v2 header longer than 4096 bytes");
  CHECK(outcome(kSignature + std::string("\x20\x00\xff\xff", 4)) ==
        "malformed v2: v2 header longer than 4096 bytes");
}

TEST_CASE("proxy header v2: every malformed header says why, as soon as its bytes show it",
          "[proxy][v2][errors]") {
  const std::string not_a_header =
      "malformed v2: does not start with \"PROXY \" (v1) or the v2 signature";
  CHECK(outcome("\r\n\r\n\r\n") == not_a_header);
  CHECK(outcome("\r\nGET / HTTP/1.1\r\n") == not_a_header);
  std::string bad_signature = v2(0x21, 0x11, kTcp4Block);
  bad_signature[11] = 'X';
  CHECK(outcome(bad_signature) == not_a_header);
  // The version, from the 13th byte on.
  const std::string version = "malformed v2: v2 header with a version other than 2";
  CHECK(outcome(kSignature + "\x11") == version);
  CHECK(outcome(kSignature + "\x31") == version);
  CHECK(outcome(v2(0x01, 0x11, kTcp4Block)) == version);
  CHECK(outcome(kSignature + "\x22") == "malformed v2: v2 command is neither LOCAL nor PROXY");
  CHECK(outcome(kSignature + "\x2f") == "malformed v2: v2 command is neither LOCAL nor PROXY");
  // The family and protocol, from the 14th.
  const std::string family =
      "malformed v2: v2 address family or protocol is not one the spec "
      "defines";
  CHECK(outcome(kSignature + "\x21\x41") == family);
  CHECK(outcome(kSignature + "\x21\x13") == family);
  CHECK(outcome(v2(0x21, 0xF1, kTcp4Block)) == family);
  // An address block shorter than its family's addresses.
  const std::string short_block = "malformed v2: v2 length too short for its family's addresses";
  CHECK(outcome(v2(0x21, 0x11, kTcp4Block.substr(0, 11))) == short_block);
  CHECK(outcome(v2(0x21, 0x11, "")) == short_block);
  CHECK(outcome(v2(0x21, 0x21, kTcp4Block)) == short_block);
  CHECK(outcome(v2(0x21, 0x31, std::string(215, '\0'))) == short_block);
  // TLVs that do not fit the header's length.
  CHECK(outcome(v2(0x21, 0x11, kTcp4Block + "\x04")) ==
        "malformed v2: v2 TLV cut short in its type and length");
  CHECK(outcome(v2(0x21, 0x11, kTcp4Block + std::string("\x04\x00", 2))) ==
        "malformed v2: v2 TLV cut short in its type and length");
  CHECK(outcome(v2(0x21, 0x11, kTcp4Block + tlv(0x04, "abc").substr(0, 5))) ==
        "malformed v2: v2 TLV longer than the header");
  CHECK(outcome(v2(0x21, 0x11, kTcp4Block + tlv(0x01, "h2") + std::string("\x02\xff\xff", 3))) ==
        "malformed v2: v2 TLV longer than the header");
  // What comes after the header does not count as TLVs.
  CHECK(outcome(v2(0x21, 0x11, kTcp4Block) + "\x04\xff\xff") == "complete v2 28: 203.0.113.7:5555");
}
