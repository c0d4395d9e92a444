#include "connection/lingering_close.hpp"

#include <sys/socket.h>

#include <array>
#include <chrono>

namespace netsvcd::connection {
namespace {

// Clients such as nc, telnet or curl close as soon as they see our FIN, so this rarely waits;
// it bounds the ones that don't.
constexpr std::chrono::milliseconds kLingerTime{2000};
constexpr std::size_t kLingerBytes = 64 * 1024;

}  // namespace

bool has_unread_input(int socket) {
  char byte;
  // 0: the client closed, with nothing unread; -1: nothing there (EAGAIN) or the connection is
  // gone already. Either way a close sends nothing that could hurt.
  return ::recv(socket, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

Task<> lingering_close(Socket& socket, Deadlines::Entry& deadline) {
  boost::system::error_code ec;
  socket.shutdown(tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  deadline.working(kLingerTime);
  std::array<char, 4096> discard;
  for (std::size_t drained = 0; drained < kLingerBytes;) {
    const auto [read_ec, bytes] =
        co_await socket.async_read_some(asio::buffer(discard), use_nothrow);
    if (read_ec) break;  // EOF: the client closed, as it should; or the linger timed out
    drained += bytes;
  }
}

}  // namespace netsvcd::connection
