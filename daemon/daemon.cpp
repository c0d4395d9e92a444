#include "daemon.hpp"

#include <csignal>
#include <ctime>
#include <map>
#include <set>

#include <spdlog/spdlog.h>

#include "config/duration.hpp"
#include "config/loader.hpp"
#include "log.hpp"
#include "logging.hpp"
#include "net/socket_source.hpp"
#include "services/registry.hpp"
#include "services/service.hpp"
#include "systemd/listen_fds.hpp"
#include "version.hpp"

namespace netsvcd {
namespace {

using namespace asio::experimental::awaitable_operators;

// How often a stop looks whether the last connection has ended.
constexpr auto kDrainPoll = std::chrono::milliseconds(20);
constexpr std::string_view kStillServing =
    "reload refused; still serving the previous configuration";
// How often STATUS= is refreshed when the counts have changed.
constexpr auto kStatusInterval = std::chrono::seconds(1);

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

std::string utc_clock_time() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char text[16];
  std::strftime(text, sizeof text, "%H:%M:%S", &utc);
  return text;
}

asio::awaitable<config::LoadResult> load_config(std::filesystem::path file) {
  co_return config::load_config_file(file, services::listener_kinds());
}

const config::ListenerConfig* find_listener(const config::Config& config, std::string_view name) {
  for (const auto& listener : config.listeners)
    if (listener.name == name) return &listener;
  return nullptr;
}

}  // namespace

Daemon::Daemon(Options options)
    : options_(std::move(options)),
      signals_(pool_.context(), SIGTERM, SIGINT, SIGHUP),
      busy_(pool_.context(), 1) {}

int Daemon::run() {
  // 1. The stop signals are caught from the constructor on: a SIGTERM is a clean stop even
  //    while the config loads (which may wait on name resolution) or before any port opens.

  // 2. Load and validate the whole config before touching any socket.
  auto loaded = config::load_config_file(options_.config_file, services::listener_kinds());
  if (!loaded.config) {
    config::log_config_errors(loaded.errors);
    spdlog::error("{}: {} error(s); not starting", options_.config_file.string(),
                  loaded.errors.size());
    return kExitConfigInvalid;
  }
  config_ = loaded.config;
  set_log_level(options_.log_level.value_or(config_->log_level));
  set_log_target(config_->log_target);

  // 3. Adopt the sockets systemd passed, bind the rest; any failure stops start-up with one line
  //    naming what failed.
  auto sockets = adopt_passed_sockets(*config_);
  auto opened = net::ListenerSet::open(pool_.context(), *config_, sockets, tracker_);
  if (auto* error = std::get_if<net::OpenError>(&opened)) {
    log_with({.listener = error->listener}, spdlog::level::err, "{}", error->message);
    return kExitStartFailed;
  }
  for (const auto& endpoint : sockets.untaken()) {
    spdlog::warn("the socket on {} passed by systemd belongs to no listener; closed",
                 config::to_string(endpoint));
  }
  sockets.close_untaken();
  swap_in(std::move(std::get<net::ListenerSet>(opened)));
  store_sockets(nullptr);

  if (!options_.control_socket.empty()) {
    control_.emplace(pool_.context(),
                     [this] { return reload("reload requested over the control socket"); });
    if (auto error = control_->open(options_.control_socket)) {
      spdlog::error("{}", *error);
      return kExitStartFailed;
    }
  }

  const auto on_failure = [this](std::string_view what) {
    return [this, what](const std::exception_ptr& error) {
      // Without its signal watcher the daemon could never stop cleanly: stop now.
      if (error) {
        spdlog::critical("{} failed: {}", what, describe(error));
        pool_.stop();
      }
    };
  };
  asio::co_spawn(pool_.context(), watch_signals(), on_failure("the signal watcher"));
  if (const auto interval = notifier_.watchdog_interval()) {
    asio::co_spawn(pool_.context(), send_watchdog_pings(*interval), on_failure("the watchdog"));
  }
  asio::co_spawn(pool_.context(), keep_status_current(), asio::detached);

  // 4. Serve, and only then tell systemd: READY=1 means every port accepts.
  listeners_->start();
  pool_.start(config_->threads);
  spdlog::info("netsvcd {} ready: {} listener(s) on {} address(es), {} thread(s)", kVersion,
               listeners_->size(), listeners_->endpoint_count(), config_->threads);
  notifier_.ready(status());

  // 5. Until stop() stops the pool.
  pool_.join();
  return kExitOk;
}

// A socket passed by systemd is adopted by the listener with its address. A socket named for a
// listener (FileDescriptorName=, or FDNAME= in the fd store) must be one of that listener's.
net::SocketSource Daemon::adopt_passed_sockets(const config::Config& config) {
  net::SocketSource sockets(pool_.context());
  std::string adopted;
  for (auto& passed : systemd::take_passed_sockets(pool_.context())) {
    const auto* named = find_listener(config, passed.name);
    if (named && std::ranges::find(named->endpoints, passed.endpoint) == named->endpoints.end()) {
      log_with({.listener = named->name}, spdlog::level::warn,
               "the socket on {} passed by systemd is named for listener {}, which does not "
               "listen there; closed",
               config::to_string(passed.endpoint), named->name);
      continue;
    }
    // Stored under the name of a listener since removed from the file: forget it, or every
    // restart would bring it back.
    if (!named) notifier_.remove_fds(passed.name);
    if (!adopted.empty()) adopted += ", ";
    adopted += config::to_string(passed.endpoint) + " (" + passed.name + ")";
    sockets.offer(passed.endpoint, std::move(passed.acceptor));
  }
  if (!adopted.empty()) spdlog::info("sockets passed by systemd: {}", adopted);
  return sockets;
}

asio::awaitable<void> Daemon::lock() {
  co_await busy_.async_send({}, asio::use_awaitable);
}

void Daemon::unlock() {
  busy_.try_receive([](boost::system::error_code) {});
}

asio::awaitable<void> Daemon::watch_signals() {
  for (;;) {
    const auto [ec, signal] = co_await signals_.async_wait(use_nothrow);
    if (ec) co_return;  // the set was cancelled: the daemon is going down anyway
    if (signal == SIGHUP) {
      reload_on_signal();
      continue;
    }
    co_await stop(signal);
    co_return;
  }
}

void Daemon::reload_on_signal() {
  // Not awaited: the signal watcher must stay free to see a SIGTERM during a long reload.
  asio::co_spawn(pool_.context(), reload("received SIGHUP"),
                 [](const std::exception_ptr& error, const control::ReloadOutcome&) {
                   if (error) spdlog::error("reload failed: {}", describe(error));
                 });
}

// Waits for SIGTERM or SIGINT during a stop; a SIGHUP then is logged and ignored.
asio::awaitable<int> Daemon::next_stop_signal() {
  for (;;) {
    const auto [ec, signal] = co_await signals_.async_wait(use_nothrow);
    if (ec) co_return 0;
    if (signal != SIGHUP) co_return signal;
    spdlog::warn("received SIGHUP while stopping: not reloading");
  }
}

// SIGTERM or SIGINT: stop accepting, tell idle connections to close, give connections in flight
// up to shutdown_timeout, stop the pool. A second stop signal during the wait stops at once.
asio::awaitable<void> Daemon::stop(int signal) {
  co_await lock();  // a reload in progress ends first; none starts after
  notifier_.stopping("stopping: " + status());
  co_await listeners_->stop();
  if (control_) co_await control_->close();
  tracker_.stop_notice().notify();
  const auto timeout = config_->shutdown_timeout;
  spdlog::info(
      "received {}: stopping; no longer accepting; waiting up to {} for {} connection(s) in flight",
      signal_name(signal), config::format_duration(timeout), tracker_.active());
  const auto drained = co_await (wait_for_drain(tracker_, timeout) || next_stop_signal());
  if (const auto left = tracker_.active(); left > 0) {
    spdlog::warn("closing {} connection(s) still open{}", left,
                 drained.index() == 0 ? " after " + config::format_duration(timeout)
                                      : std::string(" on a second signal"));
  }
  spdlog::info("stopped after serving {} connection(s)", tracker_.served());
  pool_.stop();
}

asio::awaitable<control::ReloadOutcome> Daemon::reload(std::string trigger) {
  co_await lock();
  notifier_.reloading("reloading: " + status());
  spdlog::info("{}: reloading {}", trigger, options_.config_file.string());
  control::ReloadOutcome outcome;
  try {
    // Off the pool: a large dictionary takes a while to load, and a pool of one thread would
    // serve nothing meanwhile.
    const auto loaded =
        co_await asio::co_spawn(loader_, load_config(options_.config_file), asio::use_awaitable);
    if (!loaded.config) {
      config::log_config_errors(loaded.errors);
      for (const auto& error : loaded.errors)
        outcome.lines.push_back(config::to_string(error));
      outcome.lines.push_back(options_.config_file.string() + ": " +
                              std::to_string(loaded.errors.size()) + " error(s)");
      outcome.lines.emplace_back(kStillServing);
    } else {
      outcome = co_await apply(loaded.config);
    }
  } catch (...) {
    outcome = {
        false,
        {"cannot reload: " + describe(std::current_exception()), std::string(kStillServing)}};
  }
  if (outcome.ok) {
    set_last_reload("last reload ok at " + utc_clock_time());
  } else {
    spdlog::error("{}", outcome.lines.back());
    set_last_reload("last reload failed at " + utc_clock_time() + ": " + outcome.lines.front());
  }
  notifier_.ready(status());
  unlock();
  co_return outcome;
}

// Builds the next listeners beside the running ones, reusing every listening socket whose
// address is unchanged, and swaps them in; on any failure the running ones stay as they were.
asio::awaitable<control::ReloadOutcome> Daemon::apply(std::shared_ptr<const config::Config> next) {
  auto& context = pool_.context();
  net::SocketSource sockets(context);

  // 1. Bind every new address while the running listeners go on accepting. An address that
  //    clashes with a running one it replaces ([::]:P for 0.0.0.0:P) waits for step 3.
  std::vector<std::pair<const config::ListenerConfig*, config::Endpoint>> replacing;
  for (const auto& listener : next->listeners) {
    for (const auto& endpoint : listener.endpoints) {
      if (listeners_->listens_on(endpoint)) continue;
      const bool clashes = std::ranges::any_of(listeners_->listeners(), [&](const auto& running) {
        return std::ranges::any_of(running->config().endpoints, [&](const auto& old) {
          return config::bind_conflict(old, endpoint).has_value();
        });
      });
      if (clashes) {
        replacing.emplace_back(&listener, endpoint);
      } else if (auto error = sockets.prepare(endpoint)) {
        const auto message = "listener " + listener.name + ": cannot listen on " +
                             config::to_string(endpoint) + ": " + *error;
        log_with({.listener = listener.name}, spdlog::level::err, "{}", message);
        co_return control::ReloadOutcome{false, {message, std::string(kStillServing)}};
      }
    }
  }

  // 2. From here on the running listeners stop accepting; their sockets keep listening, so a
  //    connection arriving meanwhile waits in the backlog.
  co_await listeners_->release(sockets);

  // 3. A socket whose identity changes on the same port must stop listening before the new one
  //    binds; it is kept, to listen again if the new one cannot bind.
  std::vector<config::Endpoint> stopped;
  for (const auto& [listener, endpoint] : replacing) {
    for (const auto& old : sockets.untaken()) {
      if (!config::bind_conflict(old, endpoint) || !sockets.stop_listening(old)) continue;
      log_with({.listener = listener->name}, spdlog::level::warn,
               "listener {}: {} replaces {}: connections to port {} may be refused for a moment",
               listener->name, net::describe_endpoint(endpoint), net::describe_endpoint(old),
               endpoint.port);
      stopped.push_back(old);
    }
  }

  auto opened = net::ListenerSet::open(context, *next, sockets, tracker_);
  if (auto* error = std::get_if<net::OpenError>(&opened)) {
    log_with({.listener = error->listener}, spdlog::level::err, "{}", error->message);
    control::ReloadOutcome refused{false, {error->message}};
    // Only a replaced address can fail here: the previous sockets listen again.
    for (const auto& endpoint : stopped) {
      if (auto lost = sockets.listen_again(endpoint)) {
        refused.lines.push_back("cannot listen on " + config::to_string(endpoint) +
                                " again: " + *lost);
      }
    }
    auto previous = net::ListenerSet::open(context, *config_, sockets, tracker_);
    if (auto* lost = std::get_if<net::OpenError>(&previous)) {
      log_with({.listener = lost->listener}, spdlog::level::critical,
               "cannot go back to the previous configuration: {}; serving nothing", lost->message);
      refused.lines.push_back("cannot go back to the previous configuration: " + lost->message +
                              "; serving nothing");
      swap_in(net::ListenerSet());
    } else {
      swap_in(std::move(std::get<net::ListenerSet>(previous)));
      listeners_->start();
      refused.lines.emplace_back(kStillServing);
    }
    co_return refused;
  }

  // 4. Swap. Sockets left over belonged to removed listeners: closing them refuses new
  //    connections there, while connections in flight go on.
  for (const auto& running : config_->listeners) {
    if (!find_listener(*next, running.name)) {
      log_with({.listener = running.name}, spdlog::level::info,
               "listener {} removed: no longer accepting on {}", running.name,
               net::describe_endpoints(running));
    }
  }
  if (next->threads != config_->threads) {
    spdlog::warn("threads: the change from {} to {} applies at the next restart", config_->threads,
                 next->threads);
  }
  set_log_level(options_.log_level.value_or(next->log_level));
  set_log_target(next->log_target);
  const auto previous = std::exchange(config_, std::move(next));
  swap_in(std::move(std::get<net::ListenerSet>(opened)));
  store_sockets(previous.get());
  listeners_->start();
  const auto summary =
      fmt::format("reloaded {}: {} listener(s) on {} address(es)", options_.config_file.string(),
                  listeners_->size(), listeners_->endpoint_count());
  spdlog::info("{}", summary);
  co_return control::ReloadOutcome{true, {summary}};
}

void Daemon::swap_in(net::ListenerSet listeners) {
  listeners_.emplace(std::move(listeners));
  const std::lock_guard lock(status_mutex_);
  listener_count_ = listeners_->size();
  address_count_ = listeners_->endpoint_count();
}

// Hands the listening sockets to systemd's fd store (when it has one), so that a restart finds
// them still listening: under FDNAME=<listener>, replacing what was stored under that name when
// the listener's addresses changed.
void Daemon::store_sockets(const config::Config* previous) {
  std::set<std::string> current;
  for (const auto& [name, fds] : listeners_->native_handles()) {
    current.insert(name);
    const auto* before = previous ? find_listener(*previous, name) : nullptr;
    const auto* now = find_listener(*config_, name);
    if (before && before->endpoints == now->endpoints) continue;
    notifier_.remove_fds(name);
    notifier_.store_fds(name, fds);
  }
  if (previous) {
    for (const auto& listener : previous->listeners)
      if (!current.contains(listener.name)) notifier_.remove_fds(listener.name);
  }
}

asio::awaitable<void> Daemon::send_watchdog_pings(std::chrono::microseconds interval) {
  // Runs on the pool like every connection: if the pool wedges, the pings stop and systemd
  // restarts the service.
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    notifier_.watchdog();
    timer.expires_after(interval);
    co_await timer.async_wait(use_nothrow);
  }
}

asio::awaitable<void> Daemon::keep_status_current() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  std::string sent;
  for (;;) {
    timer.expires_after(kStatusInterval);
    co_await timer.async_wait(use_nothrow);
    if (auto now = status(); now != sent) {
      notifier_.status(now);
      sent = std::move(now);
    }
  }
}

std::string Daemon::status() const {
  const std::lock_guard lock(status_mutex_);
  return fmt::format("{} listener(s) on {} address(es); {} connection(s) active, {} served{}",
                     listener_count_, address_count_, tracker_.active(), tracker_.served(),
                     last_reload_.empty() ? std::string() : "; " + last_reload_);
}

void Daemon::set_last_reload(std::string outcome) {
  const std::lock_guard lock(status_mutex_);
  last_reload_ = std::move(outcome);
}

}  // namespace netsvcd
