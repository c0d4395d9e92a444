#include "net/send_and_close.hpp"

#include <array>

#include <spdlog/spdlog.h>

#include "config/duration.hpp"

namespace netsvcd::net {
namespace {

using namespace asio::experimental::awaitable_operators;

// How long, and how much, we keep reading after our answer before closing. Clients such as nc or
// telnet close as soon as they see our FIN, so this rarely waits; it bounds the ones that don't.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::size_t kLingerBytes = 64 * 1024;

}  // namespace

asio::awaitable<void> send_and_close(tcp::socket& socket, std::string_view payload,
                                     const services::ConnectionInfo& info) {
  asio::steady_timer deadline(co_await asio::this_coro::executor);
  deadline.expires_after(info.write_timeout);
  const auto written = co_await (asio::async_write(socket, asio::buffer(payload), use_nothrow) ||
                                 deadline.async_wait(use_nothrow));
  if (written.index() == 1) {
    spdlog::debug("{}: {}: write timed out after {}; resetting the connection", info.listener,
                  info.peer, config::format_duration(info.write_timeout));
    boost::system::error_code ignored;
    // A reset, not a FIN: the kernel would otherwise keep trying to deliver the rest.
    socket.set_option(tcp::socket::linger(true, 0), ignored);
    socket.close(ignored);
    co_return;
  }
  if (const auto [ec, bytes] = std::get<0>(written); ec) {
    spdlog::debug("{}: {}: write failed: {}", info.listener, info.peer, ec.message());
    co_return;
  }

  boost::system::error_code ec;
  socket.shutdown(tcp::socket::shutdown_send, ec);
  if (ec) co_return;
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
