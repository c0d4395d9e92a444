#include "net/listener.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include <spdlog/spdlog.h>

#include "connection/peer.hpp"
#include "log.hpp"
#include "services/service.hpp"

namespace netsvcd::net {
namespace {

// Out of descriptors or kernel memory, accept fails at once until something closes: waiting a
// little instead of retrying keeps the loops from spinning, and the kernel keeps the pending
// connections in the backlog meanwhile. Other failures get the same pause.
constexpr auto kPause = std::chrono::milliseconds(100);
constexpr auto kReportInterval = std::chrono::seconds(5);
// Connections one wake-up accepts before the loop lets the thread's other work run (nginx's
// multi_accept, bounded), and asks another thread to help drain the rest. Each help wakes a
// thread: with batches of 16 hello's CPU per connection with threads: 2 rose to 1.13x that with
// threads: 1 (make bench, 3 rounds), against about 1.05x with 64, for no clear gain under a
// flood of costly requests.
constexpr int kAcceptBatch = 64;

// The PROXY step's settings, for a listener with proxy_protocol: true: the header must be whole
// within the listener's request_timeout, if it has one.
std::optional<connection::ProxyProtocol> proxy_protocol(const config::ListenerConfig& config) {
  if (!config.proxy_protocol) return std::nullopt;
  return connection::ProxyProtocol{config.proxy_from, config.service->request_timeout().value_or(
                                                          connection::kDefaultProxyTimeout)};
}

bool is_resource_exhaustion(int error) {
  return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

// Failures that concern one connection that is gone already, not the socket.
bool is_lost_connection(int error) {
  return error == ECONNABORTED || error == EINTR || error == EPROTO || error == EPERM;
}

}  // namespace

Listener::Listener(IoPool& pool, config::ListenerConfig config,
                   std::vector<ListeningSocket> sockets, connection::ConnectionCounts& counts,
                   std::shared_ptr<connection::ListenerLoad> load)
    : pool_(pool),
      config_(std::move(config)),
      counts_(counts),
      pipeline_(std::make_shared<const Pipeline>(
          std::make_shared<const connection::ListenerInfo>(
              config_.name, config_.write_timeout,
              // Shares the load's ownership: a connection that pins the info pins its stats.
              std::shared_ptr<connection::ListenerStats>(load, &load->stats())),
          connection::Admission(config_.limits, load), config_.service, counts, pool.workers(),
          proxy_protocol(config_))),
      loops_(pool.size()) {
  for (auto& row : loops_)
    row.resize(sockets.size());
  for (auto& socket : sockets) {
    if (socket.endpoint.transport == config::Transport::udp && !datagrams_) {
      // The loader lets udp:// addresses only on kinds whose answer is one message.
      auto service = std::dynamic_pointer_cast<const services::MessageService>(config_.service);
      if (!service) throw std::logic_error(config_.kind + " cannot answer datagrams");
      datagrams_ = std::make_unique<const DatagramResponder>(config_.name, config_.limits,
                                                             std::move(service), load);
    }
    sockets_.push_back(std::make_unique<Socket>(std::move(socket), kReportInterval));
  }
  // The first turns spread over the threads.
  for (std::size_t i = 0; i < sockets_.size(); ++i)
    sockets_[i]->turn = i % pool.size();
}

void Listener::start() {
  // Every loop exists before any runs: a running loop may look at another thread's.
  for (std::size_t thread = 0; thread < pool_.size(); ++thread) {
    for (std::size_t socket = 0; socket < sockets_.size(); ++socket) {
      if (is_datagram(socket) && sockets_[socket]->turn != thread) continue;
      UniqueFd fd(::fcntl(sockets_[socket]->listening.fd.get(), F_DUPFD_CLOEXEC, 0));
      if (!fd) {
        log_with({.listener = config_.name}, spdlog::level::err,
                 "{}: cannot accept on {} on pool thread {}: {}", config_.name,
                 config::to_string(sockets_[socket]->listening.endpoint), thread,
                 std::strerror(errno));
        continue;
      }
      loops_[thread][socket] = std::make_unique<Loop>(pool_.context(thread), std::move(fd));
    }
  }
  for (std::size_t socket = 0; socket < sockets_.size(); ++socket) {
    // The first turn goes to a thread that has a loop on the socket.
    auto& turn = sockets_[socket]->turn;
    for (std::size_t tried = 0; tried < pool_.size() && !loops_[turn][socket]; ++tried)
      turn = (turn + 1) % pool_.size();
  }
  for (std::size_t thread = 0; thread < pool_.size(); ++thread) {
    for (std::size_t socket = 0; socket < sockets_.size(); ++socket) {
      if (!loops_[thread][socket]) continue;
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
  if (is_datagram(socket_index)) {
    co_await datagram_loop(thread, socket_index);
    co_return;
  }
  auto& context = pool_.context(thread);
  Socket& socket = *sockets_[socket_index];
  Loop& loop = *loops_[thread][socket_index];
  asio::steady_timer pause(context);
  while (!stopped_) {
    if (socket.turn.load(std::memory_order_acquire) != thread) {
      // Not this thread's turn: give_turn() cancels the wait when it comes. It runs on this
      // thread, so it cannot come between the check above and the wait below.
      loop.leave_epoll();
      loop.turn_signal.expires_at(Clock::time_point::max());
      co_await loop.turn_signal.async_wait(use_nothrow);
      continue;
    }
    if (const auto refused = loop.enter_epoll()) {
      // epoll would not take the socket (out of kernel memory): another thread's turn, or a
      // pause like any failed accept's.
      pause_accepting(socket, "cannot wait for connections: " + refused.message(),
                      spdlog::level::err);
      if (const auto other = any_other_loop(socket_index, thread)) {
        give_turn(socket_index, *other);
        continue;
      }
      pause.expires_at(
          Clock::time_point(Clock::duration(socket.paused_until.load(std::memory_order_relaxed))));
      co_await pause.async_wait(use_nothrow);
      continue;
    }
    switch (accept_batch(socket_index, thread, true)) {
      case Batch::drained:
        co_await loop.socket.async_wait(asio::posix::descriptor_base::wait_read, use_nothrow);
        break;
      case Batch::full:
        // More may be waiting: a free thread helps, and this one lets its other work run.
        ask_for_help(socket_index, thread);
        co_await asio::post(context, use_nothrow);
        break;
      case Batch::handed_over:
        break;
      case Batch::failed:
        pause.expires_at(Clock::time_point(
            Clock::duration(socket.paused_until.load(std::memory_order_relaxed))));
        co_await pause.async_wait(use_nothrow);
        break;
    }
  }
}

asio::awaitable<void> Listener::datagram_loop(std::size_t thread, std::size_t socket_index) {
  auto& context = pool_.context(thread);
  Socket& socket = *sockets_[socket_index];
  Loop& loop = *loops_[thread][socket_index];
  asio::steady_timer pause(context);
  // Made once for the socket's life: nothing is allocated per datagram.
  const auto batch = std::make_unique<connection::DatagramBatch>();
  while (!stopped_) {
    if (const auto refused = loop.enter_epoll()) {
      pause_accepting(socket, "cannot wait for datagrams: " + refused.message(),
                      spdlog::level::err);
    } else {
      const auto result = datagrams_->serve(loop.fd(), *batch);
      if (result.outcome == DatagramResponder::Outcome::drained) {
        co_await loop.socket.async_wait(asio::posix::descriptor_base::wait_read, use_nothrow);
        continue;
      }
      if (result.outcome == DatagramResponder::Outcome::full) {
        // More may be waiting: this thread's other work runs first.
        co_await asio::post(context, use_nothrow);
        continue;
      }
      if (stopped_) break;
      pause_accepting(
          socket, std::string("receiving failed: ") + std::strerror(result.error),
          is_resource_exhaustion(result.error) ? spdlog::level::warn : spdlog::level::err);
    }
    pause.expires_at(
        Clock::time_point(Clock::duration(socket.paused_until.load(std::memory_order_relaxed))));
    co_await pause.async_wait(use_nothrow);
  }
}

Listener::Batch Listener::accept_batch(std::size_t socket_index, std::size_t thread, bool waiting) {
  Socket& socket = *sockets_[socket_index];
  if (Clock::time_point(Clock::duration(socket.paused_until.load(std::memory_order_relaxed))) >
      Clock::now()) {
    return Batch::failed;
  }
  const int fd = loops_[thread][socket_index]->fd();
  auto& context = pool_.context(thread);
  for (int accepted = 0; accepted < kAcceptBatch; ++accepted) {
    // At the cap, connections wait in the backlog, as they would for a descriptor, rather than
    // being refused: netsvcd's own need for descriptors is no fault of theirs.
    if (counts_.at_cap()) {
      pause_accepting(socket,
                      "netsvcd holds " + std::to_string(counts_.cap()) +
                          " connections, its cap from the descriptor limit",
                      spdlog::level::warn);
      return Batch::failed;
    }
    sockaddr_storage peer{};
    socklen_t peer_length = sizeof peer;
    UniqueFd client(::accept4(fd, reinterpret_cast<sockaddr*>(&peer), &peer_length,
                              SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (client) {
      pipeline_->accepted(std::move(client), connection::Peer::from(peer), thread, context);
      if (waiting) {
        if (const auto next = next_turn(socket_index, thread)) {
          give_turn(socket_index, *next);
          return Batch::handed_over;
        }
      }
      continue;
    }
    const int error = errno;
    if (error == EAGAIN || error == EWOULDBLOCK) return Batch::drained;
    if (is_lost_connection(error)) continue;  // the client gave up in the backlog
    if (stopped_) return Batch::drained;
    pause_accepting(socket, std::string("accept failed: ") + std::strerror(error),
                    is_resource_exhaustion(error) ? spdlog::level::warn : spdlog::level::err);
    return Batch::failed;
  }
  return Batch::full;
}

// A thread with at least two connections fewer than `thread` takes the turn: hello's connections
// end before the next accept, so its turn stays put (one thread, no hand-over); a burst of
// kept-alive connections is dealt out over the pool.
std::optional<std::size_t> Listener::next_turn(std::size_t socket, std::size_t thread) const {
  const auto mine = counts_.active(thread);
  if (mine < 2) return std::nullopt;
  std::optional<std::size_t> best;
  std::uint64_t fewest = mine - 1;
  for (std::size_t other = 0; other < pool_.size(); ++other) {
    if (other == thread || !loops_[other][socket]) continue;
    if (const auto theirs = counts_.active(other); theirs < fewest) {
      fewest = theirs;
      best = other;
    }
  }
  return best;
}

std::optional<std::size_t> Listener::any_other_loop(std::size_t socket, std::size_t thread) const {
  for (std::size_t step = 1; step < pool_.size(); ++step) {
    const auto other = (thread + step) % pool_.size();
    if (loops_[other][socket]) return other;
  }
  return std::nullopt;
}

void Listener::give_turn(std::size_t socket, std::size_t to) {
  sockets_[socket]->turn.store(to, std::memory_order_release);
  asio::post(pool_.context(to), [self = shared_from_this(), socket, to] {
    if (auto& loop = self->loops_[to][socket]) loop->turn_signal.cancel();
  });
}

void Listener::ask_for_help(std::size_t socket, std::size_t from) {
  if (pool_.size() < 2 || sockets_[socket]->helped.exchange(true)) return;
  std::optional<std::size_t> helper;
  for (std::size_t other = 0; other < pool_.size(); ++other) {
    if (other == from || !loops_[other][socket]) continue;
    if (!helper || counts_.active(other) < counts_.active(*helper)) helper = other;
  }
  if (!helper) {
    sockets_[socket]->helped = false;
    return;
  }
  asio::post(pool_.context(*helper),
             [self = shared_from_this(), socket, thread = *helper] { self->help(socket, thread); });
}

// A helper drains the backlog alongside the waiting thread, then stops: it never waits.
void Listener::help(std::size_t socket, std::size_t thread) {
  if (stopped_ || !loops_[thread][socket]) {
    sockets_[socket]->helped = false;
    return;
  }
  if (accept_batch(socket, thread, false) == Batch::full) {
    asio::post(pool_.context(thread),
               [self = shared_from_this(), socket, thread] { self->help(socket, thread); });
    return;
  }
  sockets_[socket]->helped = false;
}

void Listener::pause_accepting(Socket& socket, const std::string& why,
                               spdlog::level::level_enum level) {
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
      log_with({.listener = config_.name}, level,
               "{}: not accepting on {} for now: {}; pausing this socket {} ms at a time{}",
               config_.name, endpoint, why, kPause.count(),
               *suppressed ? fmt::format(" ({} more since the last report)", *suppressed)
                           : std::string());
    }
  }
  log_with({.listener = config_.name}, spdlog::level::debug, "{}: accept on {} paused: {}",
           config_.name, endpoint, why);
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
  for (auto& loop : loops_[thread]) {
    if (!loop) continue;
    boost::system::error_code ignored;
    loop->socket.close(ignored);
    loop->out_of_epoll.reset();
    loop->turn_signal.cancel();
  }
  co_return;
}

std::vector<int> Listener::native_handles() const {
  std::vector<int> fds;
  for (const auto& socket : sockets_)
    fds.push_back(socket->listening.fd.get());
  return fds;
}

metrics::ListenerView Listener::view() const {
  metrics::ListenerView view{config_.name, config_.kind, {}, load(), {}};
  for (const auto& socket : sockets_)
    view.addresses.push_back(
        {config::to_string(socket->listening.endpoint), socket->listening.adopted});
  view.service = [service = config_.service] { return service->metrics(); };
  view.datagrams = datagrams_ != nullptr;
  return view;
}

}  // namespace netsvcd::net
