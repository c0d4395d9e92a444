// send_and_close: the whole life of a one-shot connection (hello, time): write a message, then
// close. Free functions on the connection's thread.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>

#include "asio.hpp"
#include "connection/stream_connection.hpp"

namespace netsvcd::connection {

// A connection send_and_close_now could not finish, and how much of the message it sent.
struct Unfinished {
  StreamConnection connection;
  std::size_t sent = 0;
};

// Sends `message` and closes. Usually the kernel takes the whole message at once and the client
// has sent nothing: that is the end, with no coroutine, timer or allocation (accept4, send, one
// peek, close: what a hand-written server does). Otherwise the connection comes back, for
// finish_send_and_close: the message is larger than the socket's buffer, or the client sent
// bytes that a plain close would answer with a reset.
std::optional<Unfinished> send_and_close_now(StreamConnection connection, std::string_view message);

// For a connection refused at once: discards what the client sent already (so that the close is
// not a reset that could destroy the answer in flight), sends `head` and `body` as far as the
// socket takes them without waiting, and shuts the sending side; the caller then closes. Never
// a coroutine, a timer or an allocation: under a flood a refusal must cost next to nothing.
// Returns the bytes sent.
std::size_t send_without_waiting(const UniqueFd& socket, std::string_view head,
                                 std::string_view body);

// The rest, on the connection's context: `rest` within the listener's write_timeout (a client
// that does not take it in time is cut off with a reset, so that the kernel stops trying), then
// lingering_close. `owner` keeps `rest` alive until then. Spawn it with spawn(): it logs what
// it throws itself.
Task<> finish_send_and_close(StreamConnection connection, std::string_view rest,
                             std::shared_ptr<const void> owner);

}  // namespace netsvcd::connection
