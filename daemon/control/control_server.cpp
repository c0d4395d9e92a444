#include "control/control_server.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "log.hpp"

namespace netsvcd::control {
namespace {

using namespace asio::experimental::awaitable_operators;
using unix_socket = asio::local::stream_protocol::socket;

// A client that connects and says nothing must not hold a session for ever.
constexpr auto kRequestTimeout = std::chrono::seconds(5);
constexpr std::size_t kMaxRequest = 64;

bool peer_may_control(unix_socket& socket) {
  ucred peer{};
  socklen_t size = sizeof peer;
  if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &peer, &size) != 0) {
    return false;
  }
  return peer.uid == 0 || peer.uid == ::geteuid();
}

std::string render(const ReloadOutcome& outcome) {
  std::string text = outcome.ok ? "ok\n" : "failed\n";
  for (const auto& line : outcome.lines)
    text += line + "\n";
  return text;
}

asio::awaitable<void> expire(std::chrono::steady_clock::duration after) {
  asio::steady_timer timer(co_await asio::this_coro::executor, after);
  co_await timer.async_wait(use_nothrow);
}

}  // namespace

ControlServer::ControlServer(asio::io_context& context, ReloadHandler on_reload,
                             StatusHandler on_status)
    : context_(context),
      on_reload_(std::move(on_reload)),
      on_status_(std::move(on_status)),
      strand_(asio::make_strand(context)),
      acceptor_(strand_) {}

ControlServer::~ControlServer() {
  // The pool has stopped by now: nothing else touches the acceptor.
  if (open_) ::unlink(path_.c_str());
}

std::optional<std::string> ControlServer::open(const std::filesystem::path& path) {
  // A socket file left by a daemon that was killed would make bind fail; anything else at that
  // path is not ours to remove.
  struct stat existing {};
  if (::lstat(path.c_str(), &existing) == 0) {
    if (!S_ISSOCK(existing.st_mode)) return path.string() + ": exists and is not a socket";
    ::unlink(path.c_str());
  }
  boost::system::error_code ec;
  acceptor_.open(asio::local::stream_protocol(), ec);
  // Created with no permission for anyone else, then listened on: no window where another user
  // could connect.
  const mode_t previous = ::umask(0177);
  if (!ec) acceptor_.bind(asio::local::stream_protocol::endpoint(path.string()), ec);
  ::umask(previous);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    acceptor_.close(ec);
    return path.string() + ": cannot listen for control requests: " + ec.message();
  }
  path_ = path;
  open_ = true;
  asio::co_spawn(strand_, accept_loop(), asio::detached);
  return std::nullopt;
}

asio::awaitable<void> ControlServer::close() {
  co_await asio::co_spawn(strand_, close_on_strand(), asio::use_awaitable);
}

asio::awaitable<void> ControlServer::close_on_strand() {
  if (!open_) co_return;
  open_ = false;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  ::unlink(path_.c_str());
}

asio::awaitable<void> ControlServer::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(use_nothrow);
    if (!open_) co_return;
    if (ec) continue;
    asio::co_spawn(context_, serve(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> ControlServer::serve(unix_socket socket) {
  if (!peer_may_control(socket)) {
    spdlog::warn("control socket {}: refused a request from a user that may not control netsvcd",
                 path_.string());
    co_return;
  }
  std::string request;
  const auto read =
      co_await (asio::async_read_until(socket, asio::dynamic_buffer(request, kMaxRequest), '\n',
                                       use_nothrow) ||
                expire(kRequestTimeout));
  if (read.index() != 0 || std::get<0>(std::get<0>(read))) co_return;
  request.resize(request.find('\n'));

  ReloadOutcome outcome;
  if (request == "reload") {
    outcome = co_await on_reload_();
  } else if (request == "status") {
    outcome = {true, {on_status_()}};
  } else {
    outcome.lines.push_back("unknown request \"" + request +
                            "\" (expected \"reload\" or \"status\")");
  }
  const auto reply = render(outcome);
  co_await (asio::async_write(socket, asio::buffer(reply), use_nothrow) || expire(kRequestTimeout));
}

}  // namespace netsvcd::control
