#include "net/send_and_close.hpp"

#include <spdlog/spdlog.h>

#include "config/duration.hpp"
#include "log.hpp"
#include "net/lingering_close.hpp"

namespace netsvcd::net {

using namespace asio::experimental::awaitable_operators;

asio::awaitable<void> send_and_close(tcp::socket& socket, std::string_view payload,
                                     const services::ConnectionInfo& info) {
  asio::steady_timer deadline(co_await asio::this_coro::executor);
  deadline.expires_after(info.write_timeout);
  const auto written = co_await (asio::async_write(socket, asio::buffer(payload), use_nothrow) ||
                                 deadline.async_wait(use_nothrow));
  if (written.index() == 1) {
    log_with(info.log_fields(), spdlog::level::debug,
             "{}: {}: write timed out after {}; resetting the connection", info.listener, info.peer,
             config::format_duration(info.write_timeout));
    boost::system::error_code ignored;
    // A reset, not a FIN: the kernel would otherwise keep trying to deliver the rest.
    socket.set_option(tcp::socket::linger(true, 0), ignored);
    socket.close(ignored);
    co_return;
  }
  if (const auto [ec, bytes] = std::get<0>(written); ec) {
    log_with(info.log_fields(), spdlog::level::debug, "{}: {}: write failed: {}", info.listener,
             info.peer, ec.message());
    co_return;
  }

  co_await lingering_close(socket);
}

}  // namespace netsvcd::net
