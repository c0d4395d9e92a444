#include "net/lingering_close.hpp"

#include <array>
#include <chrono>

namespace netsvcd::net {
namespace {

using namespace asio::experimental::awaitable_operators;

// Clients such as nc, telnet or curl close as soon as they see our FIN, so this rarely waits;
// it bounds the ones that don't.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::size_t kLingerBytes = 64 * 1024;

}  // namespace

asio::awaitable<void> lingering_close(tcp::socket& socket) {
  boost::system::error_code ec;
  socket.shutdown(tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  asio::steady_timer deadline(co_await asio::this_coro::executor);
  deadline.expires_after(kLingerTime);
  std::array<char, 4096> discard;
  for (std::size_t drained = 0; drained < kLingerBytes;) {
    const auto read = co_await (socket.async_read_some(asio::buffer(discard), use_nothrow) ||
                                deadline.async_wait(use_nothrow));
    if (read.index() == 1) break;
    const auto [read_ec, bytes] = std::get<0>(read);
    if (read_ec) break;  // EOF: the client closed, as it should
    drained += bytes;
  }
}

}  // namespace netsvcd::net
