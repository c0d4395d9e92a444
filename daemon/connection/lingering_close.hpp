// lingering_close: the end of a connection after our last byte is sent, when the client may
// still be sending: shut our sending side, then read and discard what the client sends until it
// closes, bounded in time and bytes. Closing with unread input would make the kernel send a
// reset, which can destroy an answer the client has not read yet. A free coroutine on the
// connection's context; `deadline` is the connection's, moved here to the linger's bound.
#pragma once

#include "asio.hpp"
#include "connection/deadlines.hpp"
#include "connection/stream_connection.hpp"

namespace netsvcd::connection {

Task<> lingering_close(Socket& socket, Deadlines::Entry& deadline);

// Whether the kernel holds bytes from the client that nobody read: then a plain close would
// reset the connection, and lingering_close is needed. Costs one non-blocking peek.
bool has_unread_input(int socket);

}  // namespace netsvcd::connection
