#include "daemon.hpp"

#include <csignal>

#include <spdlog/spdlog.h>

#include "config/duration.hpp"
#include "config/loader.hpp"
#include "io_pool.hpp"
#include "log.hpp"
#include "net/listener_set.hpp"
#include "net/socket_source.hpp"
#include "version.hpp"

namespace netsvcd {
namespace {

using namespace asio::experimental::awaitable_operators;

// How often a stop looks whether the last connection has ended.
constexpr auto kDrainPoll = std::chrono::milliseconds(20);

asio::awaitable<void> wait_for_drain(const net::ConnectionTracker& tracker,
                                     std::chrono::milliseconds limit) {
  asio::steady_timer tick(co_await asio::this_coro::executor);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (tracker.active() > 0 && std::chrono::steady_clock::now() < deadline) {
    tick.expires_after(kDrainPoll);
    co_await tick.async_wait(use_nothrow);
  }
}

std::string_view signal_name(int signal) {
  switch (signal) {
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    case SIGHUP:
      return "SIGHUP";
    default:
      return "a signal";
  }
}

// Waits for SIGTERM or SIGINT and returns it; SIGHUP is logged and ignored until reloading
// arrives, so that logrotate or a reload request never stops the daemon or cuts a drain short.
asio::awaitable<int> next_stop_signal(asio::signal_set& signals) {
  for (;;) {
    const auto [ec, signal] = co_await signals.async_wait(use_nothrow);
    if (ec) co_return 0;  // the set was cancelled: the daemon is going down anyway
    if (signal != SIGHUP) co_return signal;
    spdlog::warn("received SIGHUP: reloading the configuration is not supported yet; ignored");
  }
}

// SIGTERM or SIGINT: stop accepting, tell idle connections to close, give connections in flight
// up to shutdown_timeout, stop the pool. A second stop signal during the wait stops at once.
asio::awaitable<void> watch_signals(asio::signal_set& signals, net::ListenerSet& listeners,
                                    net::ConnectionTracker& tracker, const config::Config& config,
                                    IoPool& pool) {
  const int signal = co_await next_stop_signal(signals);
  co_await listeners.stop();
  tracker.stop_notice().notify();
  spdlog::info(
      "received {}: stopping; no longer accepting; waiting up to {} for {} connection(s) in flight",
      signal_name(signal), config::format_duration(config.shutdown_timeout), tracker.active());
  const auto drained =
      co_await (wait_for_drain(tracker, config.shutdown_timeout) || next_stop_signal(signals));
  if (const auto left = tracker.active(); left > 0) {
    spdlog::warn("closing {} connection(s) still open{}", left,
                 drained.index() == 0 ? " after " + config::format_duration(config.shutdown_timeout)
                                      : std::string(" on a second signal"));
  }
  spdlog::info("stopped after serving {} connection(s)", tracker.served());
  pool.stop();
}

}  // namespace

int Daemon::run() {
  // 1. Catch the stop signals first: from here on a SIGTERM is a clean stop, even while the
  //    config loads (which may wait on name resolution) or before any port opens.
  IoPool pool;
  asio::signal_set signals(pool.context(), SIGTERM, SIGINT, SIGHUP);

  // 2. Load and validate the whole config before touching any socket.
  const auto loaded = config::load_config_file(options_.config_file);
  if (!loaded.config) {
    for (const auto& error : loaded.errors)
      spdlog::error("{}", config::to_string(error));
    spdlog::error("{}: {} error(s); not starting", options_.config_file.string(),
                  loaded.errors.size());
    return kExitConfigInvalid;
  }
  const config::Config& config = *loaded.config;
  set_log_level(options_.log_level.value_or(config.log_level));

  // 3. Bind every listener; any failure stops start-up with one line naming what failed.
  net::SocketSource sockets(pool.context());
  auto opened = net::ListenerSet::open(pool.context(), config, sockets, tracker_);
  if (auto* error = std::get_if<std::string>(&opened)) {
    spdlog::error("{}", *error);
    return kExitStartFailed;
  }
  auto& listeners = std::get<net::ListenerSet>(opened);

  asio::co_spawn(pool.context(), watch_signals(signals, listeners, tracker_, config, pool),
                 [&pool](const std::exception_ptr& error) {
                   // Without its signal watcher the daemon could never stop cleanly: stop now.
                   if (error) {
                     spdlog::critical("the signal watcher failed: {}", describe(error));
                     pool.stop();
                   }
                 });

  // 4. Serve.
  listeners.start();
  pool.start(config.threads);
  spdlog::info("netsvcd {} ready: {} listener(s) on {} address(es), {} thread(s)", kVersion,
               listeners.size(), listeners.endpoint_count(), config.threads);

  // 5. Until watch_signals stops the pool.
  pool.join();
  return kExitOk;
}

}  // namespace netsvcd
