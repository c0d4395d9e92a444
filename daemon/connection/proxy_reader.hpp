// ProxyReader: the pipeline's PROXY step, for a listener with proxy_protocol: true: reads the
// PROXY header (connection/proxy_header.hpp) off a connection that a trusted proxy made, and
// says which client it names. It peeks and then takes exactly the header's bytes from the
// socket, so that what the client sent after it (an HTTP request, or nothing) stays there,
// untouched, for the service. A header that is there at accept is read at once, with no
// coroutine, timer or epoll registration (read_now); one still on its way is waited for in a
// coroutine on the connection's own thread, within a deadline (wait), never holding the thread.
// One per connection, used only by the thread that accepted it. ProxyProtocol: a listener's
// settings, immutable; trusts() is safe from any thread.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "asio.hpp"
#include "config/cidr.hpp"
#include "connection/peer.hpp"
#include "connection/stream_connection.hpp"
#include "unique_fd.hpp"

namespace netsvcd::connection {

// How long a header may take when the listener has no request_timeout: the spec asks a receiver
// that sets a limit to allow at least 3 s, to cover a TCP retransmission.
inline constexpr std::chrono::milliseconds kDefaultProxyTimeout{std::chrono::seconds(5)};

struct ProxyProtocol {
  std::vector<config::Cidr> from;  // the proxies that may send a header (proxy_from)
  // From accept to the header's last byte: the listener's request_timeout, if it has one.
  std::chrono::milliseconds timeout = kDefaultProxyTimeout;

  // Whether `proxy`, the connection's real peer, may send a header at all.
  bool trusts(const boost::asio::ip::address& proxy) const;
};

class ProxyReader {
 public:
  enum class Step {
    done,       // the header is read: peer() is the client it names
    more,       // the header has not all come yet: wait()
    malformed,  // not a valid header, or the connection ended inside it: why() says which
    late,       // (wait only) the header was not whole within the timeout
    closed,     // the connection ended before its first byte (a plain TCP health check)
  };

  // For a connection whose real peer is `proxy`.
  explicit ProxyReader(const Peer& proxy) : peer_(proxy) {}

  // Reads what the kernel holds of the header, without waiting.
  Step read_now(int socket);

  // Waits for the rest, in a coroutine on `context` (the connection's), until the header is
  // whole, malformed or the connection ends, or `timeout` from now has passed (late). `socket`
  // is registered with the context meanwhile, and handed back unregistered, still open.
  Task<Step> wait(UniqueFd& socket, asio::io_context& context, std::chrono::milliseconds timeout);

  // The client once done (relayed by the proxy, or the proxy itself when the header names no
  // client: a LOCAL health check, UNKNOWN); the proxy before.
  const Peer& peer() const { return peer_; }
  // Why the header is malformed (static text).
  std::string_view why() const { return why_; }

 private:
  // The connection ended, or could not be read: closed if nothing of a header came, else
  // malformed.
  Step ended();

  Peer peer_;
  // The header's bytes taken from the socket before it was whole (rare: a proxy sends its
  // header in one write, which arrives in one segment).
  std::string partial_;
  std::string_view why_;
};

}  // namespace netsvcd::connection
