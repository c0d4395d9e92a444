#include "net/listener.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "connection/peer.hpp"
#include "log.hpp"

namespace netsvcd::net {
namespace {

// Out of descriptors or kernel memory, accept fails at once until something closes: waiting a
// little instead of retrying keeps the loops from spinning, and the kernel keeps the pending
// connections in the backlog meanwhile. Other failures get the same pause.
constexpr auto kPause = std::chrono::milliseconds(100);
constexpr auto kReportInterval = std::chrono::seconds(5);
// Connections one wake-up accepts before the loop lets the thread's other work run (nginx's
// multi_accept, bounded).
constexpr int kAcceptBatch = 64;

bool is_resource_exhaustion(int error) {
  return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

// Failures that concern one connection that is gone already, not the socket.
bool is_lost_connection(int error) {
  return error == ECONNABORTED || error == EINTR || error == EPROTO || error == EPERM;
}

}  // namespace

Listener::Listener(IoPool& pool, config::ListenerConfig config,
                   std::vector<ListeningSocket> sockets, connection::ConnectionCounts& counts)
    : pool_(pool),
      config_(std::move(config)),
      pipeline_(
          std::make_shared<const connection::ListenerInfo>(config_.name, config_.write_timeout),
          config_.service, counts),
      waiting_(pool.size()) {
  for (auto& row : waiting_)
    row.resize(sockets.size());
  for (auto& socket : sockets)
    sockets_.push_back(std::make_unique<Socket>(std::move(socket), kReportInterval));
}

void Listener::start() {
  for (std::size_t thread = 0; thread < pool_.size(); ++thread) {
    for (std::size_t socket = 0; socket < sockets_.size(); ++socket) {
      // Each thread waits on a descriptor of its own for the one socket, in its own epoll.
      UniqueFd waiting_fd(::fcntl(sockets_[socket]->listening.fd.get(), F_DUPFD_CLOEXEC, 0));
      if (!waiting_fd) {
        log_with({.listener = config_.name}, spdlog::level::err,
                 "{}: cannot accept on {} on pool thread {}: {}", config_.name,
                 config::to_string(sockets_[socket]->listening.endpoint), thread,
                 std::strerror(errno));
        continue;
      }
      waiting_[thread][socket] = std::make_unique<asio::posix::stream_descriptor>(
          pool_.context(thread), waiting_fd.release());
      asio::co_spawn(pool_.context(thread), accept_loop(thread, socket),
                     [name = config_.name](const std::exception_ptr& error) {
                       if (error) {
                         log_with({.listener = name}, spdlog::level::err,
                                  "{}: accept loop failed: {}", name, describe(error));
                       }
                     });
    }
  }
}

asio::awaitable<void> Listener::accept_loop(std::size_t thread, std::size_t socket_index) {
  // Keeps this listener, and so its sockets, alive for as long as the loop runs.
  const auto self = shared_from_this();
  auto& context = pool_.context(thread);
  Socket& socket = *sockets_[socket_index];
  asio::posix::stream_descriptor& waiting = *waiting_[thread][socket_index];
  asio::steady_timer pause(context);
  while (!stopped_) {
    if (!accept_batch(socket, waiting.native_handle(), thread)) {
      // A full batch: more may be waiting. Let the thread's other work run first.
      co_await asio::post(context, use_nothrow);
      continue;
    }
    const auto paused_until = std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(socket.paused_until.load(std::memory_order_relaxed)));
    if (paused_until > std::chrono::steady_clock::now()) {
      pause.expires_at(paused_until);
      co_await pause.async_wait(use_nothrow);
      continue;
    }
    co_await waiting.async_wait(asio::posix::descriptor_base::wait_read, use_nothrow);
  }
}

bool Listener::accept_batch(Socket& socket, int fd, std::size_t thread) {
  auto& context = pool_.context(thread);
  for (int accepted = 0; accepted < kAcceptBatch; ++accepted) {
    sockaddr_storage peer{};
    socklen_t peer_length = sizeof peer;
    UniqueFd client(::accept4(fd, reinterpret_cast<sockaddr*>(&peer), &peer_length,
                              SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (client) {
      pipeline_.accepted(std::move(client), connection::Peer::from(peer), thread, context);
      continue;
    }
    const int error = errno;
    if (error == EAGAIN || error == EWOULDBLOCK) return true;
    if (is_lost_connection(error)) continue;  // the client gave up in the backlog
    if (!stopped_) report_failure(socket, error);
    return true;
  }
  return false;
}

void Listener::report_failure(Socket& socket, int error) {
  const auto now = std::chrono::steady_clock::now();
  auto until = socket.paused_until.load(std::memory_order_relaxed);
  const auto next = (now + kPause).time_since_epoch().count();
  // The loop that starts the pause reports it; the others only wait for its end.
  if (until >= now.time_since_epoch().count() ||
      !socket.paused_until.compare_exchange_strong(until, next, std::memory_order_relaxed)) {
    return;
  }
  const std::string endpoint = config::to_string(socket.listening.endpoint);
  {
    const std::lock_guard lock(socket.report_mutex);
    if (const auto suppressed = socket.report.admit(now)) {
      log_with({.listener = config_.name},
               is_resource_exhaustion(error) ? spdlog::level::warn : spdlog::level::err,
               "{}: accept on {} failed: {}; pausing this socket {} ms at a time{}", config_.name,
               endpoint, std::strerror(error), kPause.count(),
               *suppressed ? fmt::format(" ({} more since the last report)", *suppressed)
                           : std::string());
    }
  }
  log_with({.listener = config_.name}, spdlog::level::debug, "{}: accept on {} paused: {}",
           config_.name, endpoint, std::strerror(error));
}

asio::awaitable<void> Listener::stop() {
  co_await stop_loops();
  for (auto& socket : sockets_)
    socket->listening.fd.reset();
}

asio::awaitable<std::vector<ListeningSocket>> Listener::release_sockets() {
  co_await stop_loops();
  std::vector<ListeningSocket> released;
  for (auto& socket : sockets_)
    released.push_back(std::move(socket->listening));
  co_return released;
}

asio::awaitable<void> Listener::stop_loops() {
  stopped_ = true;
  // Each thread closes what its own loops wait on; a loop that accepts at that moment serves
  // what it accepted before it sees the stop.
  for (std::size_t thread = 0; thread < pool_.size(); ++thread)
    co_await asio::co_spawn(pool_.context(thread), stop_loops_on(thread), asio::use_awaitable);
}

asio::awaitable<void> Listener::stop_loops_on(std::size_t thread) {
  for (auto& waiting : waiting_[thread]) {
    boost::system::error_code ignored;
    if (waiting) waiting->close(ignored);
  }
  co_return;
}

std::vector<int> Listener::native_handles() const {
  std::vector<int> fds;
  for (const auto& socket : sockets_)
    fds.push_back(socket->listening.fd.get());
  return fds;
}

}  // namespace netsvcd::net
