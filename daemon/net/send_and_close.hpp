// send_and_close: the whole life of a one-shot connection (hello, time): write a payload under a
// deadline, then close gracefully. Free coroutine; runs on the connection's strand.
#pragma once

#include <string_view>

#include "asio.hpp"
#include "services/service.hpp"

namespace netsvcd::net {

// Writes all of `payload` (coping with partial writes) within info.write_timeout, then closes
// with lingering_close. A client that does not take the payload in time is cut off with a reset.
asio::awaitable<void> send_and_close(tcp::socket& socket, std::string_view payload,
                                     const services::ConnectionInfo& info);

}  // namespace netsvcd::net
