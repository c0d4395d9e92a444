// lingering_close: the end of a connection after our last byte is sent: shut our sending side,
// then read and discard what the client still sends until it closes, bounded in time and bytes.
// Closing with unread input would make the kernel send a reset, which can destroy an answer the
// client has not read yet. Free coroutine; runs on the connection's strand.
#pragma once

#include "asio.hpp"

namespace netsvcd::net {

asio::awaitable<void> lingering_close(tcp::socket& socket);

}  // namespace netsvcd::net
