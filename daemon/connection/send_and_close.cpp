#include "connection/send_and_close.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "config/duration.hpp"
#include "connection/deadlines.hpp"
#include "connection/lingering_close.hpp"

namespace netsvcd::connection {
namespace {

void cancel_socket(void* socket) {
  boost::system::error_code ignored;
  static_cast<Socket*>(socket)->cancel(ignored);
}

}  // namespace

std::optional<Unfinished> send_and_close_now(StreamConnection connection,
                                             std::string_view message) {
  const int fd = connection.socket.get();
  const ssize_t sent = ::send(fd, message.data(), message.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
    log_connection(connection, spdlog::level::debug, "write failed: {}", std::strerror(errno));
    return std::nullopt;  // reset, most likely: nothing more to do for this client
  }
  const auto written = static_cast<std::size_t>(std::max<ssize_t>(sent, 0));
  connection.listener->stats->sent(written);
  if (written == message.size() && !has_unread_input(fd)) return std::nullopt;
  return Unfinished{std::move(connection), written};
}

Task<> finish_send_and_close(StreamConnection connection, std::string_view rest,
                             std::shared_ptr<const void> /*owner*/) try {
  Socket socket = connection.take_socket();
  Deadlines::Entry deadline(*connection.context, &cancel_socket, &socket);
  deadline.working(connection.listener->write_timeout);
  const auto [ec, bytes] = co_await asio::async_write(socket, asio::buffer(rest), use_nothrow);
  connection.listener->stats->sent(bytes);
  // Written in time, even if the deadline passed as the last write completed.
  if (ec && deadline.expired() != Deadlines::Expiry::none) {
    log_connection(connection, spdlog::level::debug,
                   "write timed out after {}; resetting the connection",
                   config::format_duration(connection.listener->write_timeout));
    boost::system::error_code ignored;
    // A reset, not a FIN: the kernel would otherwise keep trying to deliver the rest. Closed
    // here: Asio's destructor would turn the linger option off again.
    socket.set_option(tcp::socket::linger(true, 0), ignored);
    socket.close(ignored);
    co_return;
  }
  if (ec) {
    log_connection(connection, spdlog::level::debug, "write failed: {}", ec.message());
    co_return;
  }
  co_await lingering_close(socket, deadline);
} catch (const std::exception& e) {
  log_connection(connection, spdlog::level::err, "{}", e.what());
}

std::size_t send_without_waiting(const UniqueFd& socket, std::string_view head,
                                 std::string_view body) {
  std::array<char, 4096> discard;
  for (int reads = 0; reads < 4; ++reads) {
    if (::recv(socket.get(), discard.data(), discard.size(), MSG_DONTWAIT) <= 0) break;
  }
  std::array<iovec, 2> parts{iovec{const_cast<char*>(head.data()), head.size()},
                             iovec{const_cast<char*>(body.data()), body.size()}};
  msghdr message{};
  message.msg_iov = parts.data();
  message.msg_iovlen = parts.size();
  const ssize_t sent = ::sendmsg(socket.get(), &message, MSG_DONTWAIT | MSG_NOSIGNAL);
  ::shutdown(socket.get(), SHUT_WR);
  return static_cast<std::size_t>(std::max<ssize_t>(sent, 0));
}

}  // namespace netsvcd::connection
