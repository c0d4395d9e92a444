// parse_proxy_header: the PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and 2)
// that a proxy such as HAProxy, nginx or a cloud load balancer sends first on each connection it
// relays: where it ends, and the client it names. A pure function of the bytes at the front of
// a connection, with no I/O (connection/proxy_reader.hpp reads them off the socket), so that it
// can be unit-tested and fuzzed alone. Plain values; safe from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "connection/peer.hpp"

namespace netsvcd::connection {

// A version 1 line, "PROXY UNKNOWN ffff:...:ffff ffff:...:ffff 65535 65535\r\n" at the longest.
inline constexpr std::size_t kMaxProxyV1 = 107;
// A version 2 header in all, its 16 fixed bytes included. The spec designs headers to fit the
// 536 bytes of a minimal TCP segment, but its TLVs may add more: an SNI of up to 255 bytes, a
// unique ID of up to 128, TLS details. 4 KiB takes every one that HAProxy, nginx or a cloud load
// balancer sends, several times over, while a proxy that announces up to 64 KiB (the length
// field's range) cannot make netsvcd buffer that much for a connection.
inline constexpr std::size_t kMaxProxyV2 = 4096;
inline constexpr std::size_t kMaxProxyHeader = kMaxProxyV2;

struct ProxyHeader {
  enum class Status {
    complete,    // `length` bytes are a whole, valid header
    incomplete,  // valid so far, and every byte given belongs to the header: more must come
    malformed,   // not a header, or not a valid one: the connection must be dropped
  };
  Status status = Status::incomplete;
  int version = 0;  // 1 or 2, once the first byte says which
  // With complete: how many bytes the header takes; what follows is the relayed client's.
  std::size_t length = 0;
  // With complete: the client the header names, or nullopt when it names none and the
  // connection's own peer stands (v1 UNKNOWN; v2 LOCAL, as a proxy's health check sends; v2 with
  // an unspecified family or protocol, AF_UNIX, or UDP, which netsvcd does not serve).
  std::optional<Peer> client;
  // With malformed: what is wrong, in words for a log line (static text).
  std::string_view error;
};

// What the bytes at the front of a connection, `bytes`, make of a PROXY header. Malformed as
// soon as the bytes given cannot begin a valid header, however many more come. Every length is
// bounded: a v1 line by kMaxProxyV1, a v2 header by kMaxProxyV2, its address block and each TLV
// by the header's own length (TLVs are checked for their bounds and otherwise skipped).
ProxyHeader parse_proxy_header(std::string_view bytes);

}  // namespace netsvcd::connection
