#include "net/listener.hpp"

#include <cerrno>

#include <spdlog/spdlog.h>

#include "log.hpp"
#include "net/log_throttle.hpp"
#include "net/socket_source.hpp"
#include "services/service.hpp"

namespace netsvcd::net {
namespace {

// Out of descriptors or kernel memory, accept fails at once until something closes: waiting a
// little instead of retrying keeps the loop from spinning, and the kernel keeps the pending
// connections in the backlog meanwhile. Other failures get the same pause.
constexpr auto kPause = std::chrono::milliseconds(100);
constexpr auto kReportInterval = std::chrono::seconds(5);

bool is_resource_exhaustion(const boost::system::error_code& ec) {
  const int value = ec.value();
  return ec.category() == boost::system::system_category() &&
         (value == EMFILE || value == ENFILE || value == ENOBUFS || value == ENOMEM);
}

// A completion handler for co_spawn that logs what escaped a coroutine, prefixed by `context`;
// the exception stops there and touches nothing else.
auto log_failure(std::string context) {
  return [context = std::move(context)](const std::exception_ptr& error) {
    if (error) spdlog::error("{}: {}", context, describe(error));
  };
}

asio::awaitable<void> serve_connection(std::shared_ptr<const services::Service> service,
                                       tcp::socket socket, services::ConnectionInfo info,
                                       ConnectionTracker::Guard /*held until the end*/) {
  const auto started = std::chrono::steady_clock::now();
  log_with(info.log_fields(), spdlog::level::debug, "{}: connection from {}", info.listener,
           info.peer);
  co_await service->serve(std::move(socket), info);
  const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - started;
  log_with(info.log_fields(), spdlog::level::debug, "{}: {} closed after {:.1f} ms", info.listener,
           info.peer, took.count());
}

}  // namespace

Listener::Listener(asio::io_context& context, config::ListenerConfig config,
                   std::vector<ListeningSocket> sockets, ConnectionTracker& tracker)
    : context_(context),
      config_(std::move(config)),
      strand_(asio::make_strand(context)),
      sockets_(std::move(sockets)),
      tracker_(tracker) {}

void Listener::start() {
  asio::dispatch(strand_, [self = shared_from_this()] {
    for (auto& socket : self->sockets_) {
      asio::co_spawn(self->strand_, self->accept_loop(socket.acceptor, socket.endpoint),
                     log_failure(self->config_.name + ": accept loop failed"));
    }
  });
}

asio::awaitable<void> Listener::stop() {
  // The sockets belong to the strand: close them there, and come back once they are closed.
  // (A member coroutine, not a capturing lambda: g++ 12 destroys a lambda temporary in a
  // co_await expression twice.)
  co_await asio::co_spawn(strand_, close_sockets(), asio::use_awaitable);
}

asio::awaitable<std::vector<ListeningSocket>> Listener::release_sockets() {
  co_return co_await asio::co_spawn(strand_, release_on_strand(), asio::use_awaitable);
}

asio::awaitable<std::vector<ListeningSocket>> Listener::release_on_strand() {
  stopped_ = true;
  std::vector<ListeningSocket> released;
  for (auto& socket : sockets_) {
    // release() cancels the pending accept and leaves the socket open and listening; the accept
    // loop sees stopped_ and ends.
    boost::system::error_code ec;
    const int fd = socket.acceptor.release(ec);
    if (ec) {
      log_with({.listener = config_.name}, spdlog::level::err,
               "{}: cannot hand over the socket on {}: {}", config_.name,
               config::to_string(socket.endpoint), ec.message());
      continue;
    }
    released.push_back({socket.endpoint, adopt_listening_socket(context_, socket.endpoint, fd)});
  }
  co_return released;
}

std::vector<int> Listener::native_handles() {
  std::vector<int> fds;
  for (auto& socket : sockets_)
    fds.push_back(socket.acceptor.native_handle());
  return fds;
}

asio::awaitable<void> Listener::close_sockets() {
  stopped_ = true;
  for (auto& socket : sockets_) {
    boost::system::error_code ignored;
    socket.acceptor.close(ignored);
  }
  co_return;
}

asio::awaitable<void> Listener::accept_loop(tcp::acceptor& acceptor, config::Endpoint endpoint) {
  // Keeps this listener, and so `acceptor`, alive for as long as the loop runs.
  const auto self = shared_from_this();
  LogThrottle failure_report(kReportInterval);
  asio::steady_timer pause(strand_);
  while (!stopped_) {
    auto [ec, socket] = co_await acceptor.async_accept(
        asio::any_io_executor(asio::make_strand(context_)), use_nothrow);
    // Served even when the listener stopped meanwhile: the client's connection was accepted.
    if (!ec) {
      try {
        serve(std::move(socket));
      } catch (...) {
        // Out of memory, most likely: lose this connection, never the listener.
        log_with({.listener = config_.name}, spdlog::level::err,
                 "{}: cannot serve a connection: {}", config_.name,
                 describe(std::current_exception()));
      }
      continue;
    }
    if (stopped_) break;
    if (ec == asio::error::connection_aborted) continue;  // the client gave up in the backlog
    if (const auto suppressed = failure_report.admit()) {
      log_with({.listener = config_.name},
               is_resource_exhaustion(ec) ? spdlog::level::warn : spdlog::level::err,
               "{}: accept on {} failed: {}; pausing this socket {} ms at a time{}", config_.name,
               config::to_string(endpoint), ec.message(), kPause.count(),
               *suppressed ? fmt::format(" ({} more since the last report)", *suppressed)
                           : std::string());
    }
    log_with({.listener = config_.name}, spdlog::level::debug, "{}: accept on {} paused: {}",
             config_.name, config::to_string(endpoint), ec.message());
    pause.expires_after(kPause);
    co_await pause.async_wait(use_nothrow);
  }
}

void Listener::serve(tcp::socket socket) {
  boost::system::error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  if (ec) return;  // reset before we got to it: nothing to serve
  services::ConnectionInfo info{config_.name, config::to_string({peer.address(), peer.port()}),
                                config_.write_timeout, &tracker_.stop_notice()};
  const auto executor = socket.get_executor();
  auto context = info.listener + ": " + info.peer;
  asio::co_spawn(
      executor,
      serve_connection(config_.service, std::move(socket), std::move(info), tracker_.track()),
      log_failure(std::move(context)));
}

}  // namespace netsvcd::net
