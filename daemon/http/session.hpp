// serve_http: one HTTP/1.1 connection from its first byte to its close, with Beast: keep-alive
// and pipelining, a deadline on every read and write, a size limit on the request head, and the
// error answers (400, 414, 431, 500) that need no router. A client too slow to send its request
// head is disconnected without an answer. Each request is handed to a Router. On a stop, a
// connection idle between requests closes at once; one still to send its first request is
// waited for, since its client was accepted and may have sent it already.
// A free coroutine on the connection's context; the router must be callable from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include "asio.hpp"
#include "connection/stream_connection.hpp"
#include "http/message.hpp"

namespace netsvcd::http {

struct SessionLimits {
  // From the first byte of a request to the end of its head.
  std::chrono::milliseconds request_timeout{std::chrono::seconds(10)};
  // Between requests on a kept-alive connection (the first request has request_timeout).
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(30)};
  // Request line and headers together.
  std::size_t max_header_bytes = 8 * 1024;
};

// Starts serving `connection` on its thread. `owner` keeps `limits` and `router` alive for as
// long as the connection lasts.
void serve_http(connection::StreamConnection connection, const SessionLimits& limits,
                const Router& router, std::shared_ptr<const void> owner);

// Answers a connection refused by a limit with a 503 that asks the client to retry in a second,
// then lets it close: connection::send_without_waiting's terms, without reading the request.
std::size_t answer_busy(const UniqueFd& socket);

}  // namespace netsvcd::http
