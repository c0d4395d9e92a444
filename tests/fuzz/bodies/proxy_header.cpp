// The PROXY protocol step. First, the parser alone (parse_proxy_header): a complete header is at
// most 107 bytes (v1) or 4096 (v2), its client is what its bytes say (a model reads them apart),
// and it is complete the same way whatever follows it, while every strict prefix of it is a
// header not yet whole; a malformed input stays malformed whatever follows it. Then the reader
// (ProxyReader::read_now) on a socketpair, the input sent whole and then in two parts: it ends
// as the parser says, and a header it reads leaves exactly the bytes after it in the socket.
#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include "connection/proxy_header.hpp"
#include "connection/proxy_reader.hpp"
#include "fuzz_targets.hpp"
#include "unique_fd.hpp"

namespace netsvcd::fuzz {
namespace {

using connection::kMaxProxyV1;
using connection::kMaxProxyV2;
using connection::parse_proxy_header;
using connection::Peer;
using connection::ProxyHeader;
using connection::ProxyReader;
using Status = ProxyHeader::Status;

bool same(const ProxyHeader& a, const ProxyHeader& b) {
  const bool clients =
      a.client.has_value() == b.client.has_value() &&
      (!a.client || (a.client->address == b.client->address && a.client->port == b.client->port));
  return a.status == b.status && a.version == b.version && a.length == b.length && clients &&
         a.error == b.error;
}

// The client a complete header's bytes name, read apart from the parser: the v1 line's fourth
// field and sixth, or the v2 source address and port at their fixed places.
std::string model_client(std::string_view header) {
  if (header[0] == 'P') {
    std::string_view line = header.substr(6, header.size() - 8);
    if (line.starts_with("UNKNOWN")) return "no client";
    const bool v4 = line.starts_with("TCP4");
    line.remove_prefix(5);
    const auto source = std::string(line.substr(0, line.find(' ')));
    line.remove_prefix(source.size() + 1);
    line.remove_prefix(line.find(' ') + 1);
    const auto port = std::string(line.substr(0, line.find(' ')));
    // Numbers as the line writes them; an IPv6 address as inet_pton reads it.
    unsigned char bytes[16];
    std::string address = source;
    if (!v4 && ::inet_pton(AF_INET6, source.c_str(), bytes) == 1) {
      char text[INET6_ADDRSTRLEN];
      address = ::inet_ntop(AF_INET6, bytes, text, sizeof text);
    }
    return v4 ? address + ":" + port : "[" + address + "]:" + port;
  }
  const auto byte = [&](std::size_t at) { return static_cast<unsigned char>(header[at]); };
  if ((byte(12) & 0xF) == 0 || (byte(13) != 0x11 && byte(13) != 0x21)) return "no client";
  char text[INET6_ADDRSTRLEN];
  const bool v4 = byte(13) == 0x11;
  ::inet_ntop(v4 ? AF_INET : AF_INET6, header.data() + 16, text, sizeof text);
  const std::size_t port_at = 16 + (v4 ? 8 : 32);
  const std::string port = std::to_string(byte(port_at) << 8 | byte(port_at + 1));
  return v4 ? std::string(text) + ":" + port : "[" + std::string(text) + "]:" + port;
}

void check_parser(std::string_view input) {
  const ProxyHeader header = parse_proxy_header(input);
  check(header.client.has_value() <= (header.status == Status::complete),
        "a client with a header that is not complete");
  switch (header.status) {
    case Status::malformed: {
      check(!header.error.empty(), "malformed without a reason");
      for (const char c : header.error)
        check(c >= 0x20 && c < 0x7f, "a reason with a byte that is not printable ASCII");
      check(same(parse_proxy_header(std::string(input) + "\r\n"), header),
            "a malformed input is not malformed the same way with more after it");
      return;
    }
    case Status::incomplete:
      check(header.error.empty() && header.length == 0, "incomplete, with a reason or a length");
      check(input.size() < (header.version == 1 ? kMaxProxyV1 : kMaxProxyV2),
            "incomplete past the longest header");
      if (!input.empty()) {
        const auto shorter = parse_proxy_header(input.substr(0, input.size() - 1));
        check(shorter.status == Status::incomplete, "a prefix of an incomplete header is not");
      }
      return;
    case Status::complete:
      break;
  }
  check(header.version == 1 || header.version == 2, "complete without a version");
  check(header.length > 0 && header.length <= input.size(), "a length outside the input");
  check(header.length <= (header.version == 1 ? kMaxProxyV1 : kMaxProxyV2),
        "a header longer than its version allows");
  const std::string_view bytes = input.substr(0, header.length);
  check(same(parse_proxy_header(bytes), header), "the header alone is read otherwise");
  for (const std::size_t size : {std::size_t{1}, header.length / 2, header.length - 1}) {
    if (size == 0 || size >= header.length) continue;
    check(parse_proxy_header(bytes.substr(0, size)).status == Status::incomplete,
          "a strict prefix of a header is not incomplete");
  }
  if (header.version == 1) check(bytes.ends_with("\r\n"), "a v1 header that does not end in CRLF");
  check((header.client ? header.client->describe() : "no client") == model_client(bytes),
        "the client is not the one the header's bytes name");
}

// `input` through ProxyReader::read_now over a socketpair, sent in two parts split at `split`
// (with a read between them), then the writer's end shut. Checks the outcome against the
// parser's, and that a header read leaves exactly the bytes after it.
void check_reader(std::string_view input, std::size_t split) {
  int fds[2];
  check(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0,
        std::string("socketpair: ") + std::strerror(errno));
  const UniqueFd server(fds[0]);
  UniqueFd client(fds[1]);
  const auto send = [&](std::string_view part) {
    if (part.empty()) return;
    check(::send(client.get(), part.data(), part.size(), MSG_NOSIGNAL) ==
              static_cast<ssize_t>(part.size()),
          "a send to the socketpair fell short");
  };
  const Peer proxy{boost::asio::ip::make_address("127.0.0.1"), 40000};
  ProxyReader reader(proxy);
  send(input.substr(0, split));
  ProxyReader::Step step = reader.read_now(server.get());
  send(input.substr(split));
  ::shutdown(client.get(), SHUT_WR);
  if (step == ProxyReader::Step::more) step = reader.read_now(server.get());
  // A header that was not whole then: the connection ended inside it.
  if (step == ProxyReader::Step::more) step = reader.read_now(server.get());

  const ProxyHeader header = parse_proxy_header(input);
  switch (header.status) {
    case Status::complete: {
      check(step == ProxyReader::Step::done, "the reader did not read a complete header");
      const Peer& peer = reader.peer();
      if (header.client) {
        check(peer.address == header.client->address && peer.port == header.client->port &&
                  peer.via && peer.via->address == proxy.address && peer.via->port == proxy.port,
              "the reader's peer is not the header's client via the proxy");
      } else {
        check(peer.address == proxy.address && peer.port == proxy.port && !peer.via,
              "the reader's peer is not the proxy for a header that names no client");
      }
      // The rest is still in the socket, whole.
      std::string rest;
      for (;;) {
        char buffer[8192];
        const ssize_t got = ::recv(server.get(), buffer, sizeof buffer, MSG_DONTWAIT);
        if (got <= 0) break;
        rest.append(buffer, static_cast<std::size_t>(got));
      }
      check(rest == input.substr(header.length), "the reader took more or less than the header");
      break;
    }
    case Status::malformed:
      // Unless it saw only a part that was not malformed yet, and then the end.
      check(step == ProxyReader::Step::malformed, "the reader took a malformed header");
      check(!reader.why().empty(), "malformed without a reason");
      break;
    case Status::incomplete:
      check(step == (input.empty() ? ProxyReader::Step::closed : ProxyReader::Step::malformed),
            "a connection that ends inside a header, or before it, is not refused as such");
      break;
  }
}

}  // namespace

void proxy_header(std::string_view input) {
  check_parser(input);
  // Larger inputs than a header and its request gain nothing, and a socketpair holds less.
  if (input.size() > 2 * kMaxProxyV2) return;
  check_reader(input, input.size());
  const std::size_t split = input.empty() ? 0 : static_cast<unsigned char>(input.back());
  check_reader(input, std::min(split, input.size()));
}

}  // namespace netsvcd::fuzz
