#include "daemon.hpp"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <ctime>
#include <map>
#include <set>

#include <spdlog/spdlog.h>

#include "config/duration.hpp"
#include "config/loader.hpp"
#include "connection/deadlines.hpp"
#include "log.hpp"
#include "logging.hpp"
#include "metrics/daemon_state.hpp"
#include "metrics/status_report.hpp"
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
// stop_delay when the config does not say and it has a metrics listener, whose /healthz a load
// balancer may be checking (every second or two, typically).
constexpr auto kDefaultStopDelay = std::chrono::seconds(1);
// How often STATUS= is refreshed when the counts have changed.
constexpr auto kStatusInterval = std::chrono::seconds(1);

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

// On the calling thread only: the kernel then delivers them to another thread of the process.
void block_stop_and_reload_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  for (const int signal : {SIGTERM, SIGINT, SIGHUP})
    sigaddset(&signals, signal);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

}  // namespace

Daemon::Daemon(Options options)
    : options_(std::move(options)),
      signals_(pool_.context(), SIGTERM, SIGINT, SIGHUP),
      busy_(pool_.context(), 1) {}

int Daemon::run() {
  // 1. The stop signals are caught from the constructor on: a SIGTERM is a clean stop even
  //    while the config loads (which may wait on name resolution) or before any port opens.

  // Before anything opens a descriptor: the soft limit (1024 under systemd) would cap
  // connections far below what the machine allows (the hard limit, 524288 under systemd).
  descriptors_ = raise_descriptor_limit();

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

  // 3. One thread per config's `threads`, each with its own context. Adopt the sockets systemd
  //    passed, bind the rest; any failure stops start-up with one line naming what failed.
  pool_.resize(config_->threads);
  counts_.emplace(pool_.size());
  auto sockets = adopt_passed_sockets(*config_);
  auto opened = net::ListenerSet::open(pool_, *config_, sockets, *counts_);
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
  metrics::daemon_state().config_loaded(options_.config_file.string(), listeners_->views(), false);

  if (!options_.control_socket.empty()) {
    control_.emplace(
        pool_.context(), [this] { return reload("reload requested over the control socket"); },
        [] {
          auto& state = metrics::daemon_state();
          return metrics::status_json(state.snapshot(), metrics::DaemonState::SystemClock::now(),
                                      ::getpid())
              .dump();
        });
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
  update_connection_cap(true);
  pool_.start();
  // From here on the stop and reload signals go to the pool's threads, which wait in epoll or
  // serve, and whose handler wakes the signal watcher; this thread only joins them. A signal
  // that reached it between here and its join could be held by a sanitizer's runtime until the
  // thread's next call that it watches, which the join never makes (ThreadSanitizer lost about
  // one SIGTERM in 300 that way).
  block_stop_and_reload_signals();
  // Before the line that says so, which tests and people wait for.
  metrics::daemon_state().set_phase(metrics::Phase::ready);
  // The drop-ins read, on this line: start-up writes nothing else unless something fails, when
  // the failure is the one line.
  spdlog::info("netsvcd {} ready: {} listener(s) on {} address(es), {} thread(s){}", kVersion,
               listeners_->size(), listeners_->endpoint_count(), config_->threads,
               config_->drop_ins.empty() ? "" : "; config " + config::describe_files(*config_));
  notifier_.ready(status());

  // 5. Until stop() stops the pool.
  pool_.join();
  return kExitOk;
}

// A socket passed by systemd is adopted by the listener with its address. A socket named for a
// listener (FileDescriptorName=, or FDNAME= in the fd store) must be one of that listener's.
net::SocketSource Daemon::adopt_passed_sockets(const config::Config& config) {
  net::SocketSource sockets;
  std::string adopted;
  for (auto& passed : systemd::take_passed_sockets()) {
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
    sockets.offer(passed.endpoint, std::move(passed.fd), true);
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

// SIGTERM or SIGINT: stop accepting, tell connections waiting between requests to close, give
// connections in flight up to shutdown_timeout, stop the pool. A second stop signal during the
// wait stops at once.
asio::awaitable<void> Daemon::stop(int signal) {
  // /healthz answers 503 from now, so that a load balancer stops sending new clients here.
  metrics::daemon_state().set_phase(metrics::Phase::stopping);
  co_await lock();  // a reload in progress ends first; none starts after
  notifier_.stopping("stopping: " + status());
  co_await delay_stop(signal);
  co_await listeners_->stop();
  if (control_) co_await control_->close();
  for (std::size_t thread = 0; thread < pool_.size(); ++thread)
    connection::Deadlines::of(pool_.context(thread)).stop_waiting();
  const auto timeout = config_->shutdown_timeout;
  spdlog::info(
      "received {}: stopping; no longer accepting; waiting up to {} for {} connection(s) in flight",
      signal_name(signal), config::format_duration(timeout), counts_->active());
  const auto drained = co_await (wait_for_drain(timeout) || next_stop_signal());
  if (const auto left = counts_->active(); left > 0) {
    spdlog::warn("closing {} connection(s) still open{}", left,
                 drained.index() == 0 ? " after " + config::format_duration(timeout)
                                      : std::string(" on a second signal"));
  }
  listeners_->report_refusals(true);
  spdlog::info("stopped after serving {} connection(s)", counts_->served());
  pool_.stop();
}

// Every port goes on serving for stop_delay while /healthz says 503: a load balancer that checks
// it takes this daemon out before any port closes, and no client it sends meanwhile is refused.
// A second stop signal ends the delay.
asio::awaitable<void> Daemon::delay_stop(int signal) {
  const auto delay = config_->stop_delay.value_or(
      std::ranges::any_of(config_->listeners,
                          [](const auto& listener) { return listener.kind == "metrics"; })
          ? kDefaultStopDelay
          : std::chrono::milliseconds(0));
  if (delay <= std::chrono::milliseconds(0)) co_return;
  spdlog::info("received {}: stopping; /healthz answers 503; still serving for {} (stop_delay)",
               signal_name(signal), config::format_duration(delay));
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  const auto ended = co_await (timer.async_wait(use_nothrow) || next_stop_signal());
  if (ended.index() == 1) spdlog::info("received a second stop signal: ending stop_delay early");
}

asio::awaitable<void> Daemon::wait_for_drain(std::chrono::milliseconds limit) {
  asio::steady_timer tick(co_await asio::this_coro::executor);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (counts_->active() > 0 && std::chrono::steady_clock::now() < deadline) {
    tick.expires_after(kDrainPoll);
    co_await tick.async_wait(use_nothrow);
  }
}

// Lock, RELOADING, load, replace, swap, store fds, READY.
asio::awaitable<control::ReloadOutcome> Daemon::reload(std::string trigger) {
  co_await lock();
  metrics::daemon_state().change_phase(metrics::Phase::ready, metrics::Phase::reloading);
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
      outcome.lines.emplace_back("reload refused; still serving the previous configuration");
    } else {
      outcome = co_await replace(loaded.config);
    }
  } catch (...) {
    outcome = {false,
               {"cannot reload: " + describe(std::current_exception()),
                "reload refused; still serving the previous configuration"}};
  }
  auto& state = metrics::daemon_state();
  if (outcome.ok) {
    set_last_reload("last reload ok at " + utc_clock_time());
    state.config_loaded(options_.config_file.string(), listeners_->views(), true);
  } else {
    set_last_reload("last reload failed at " + utc_clock_time() + ": " + outcome.lines.front());
    state.reload_failed();
  }
  state.change_phase(metrics::Phase::reloading, metrics::Phase::ready);
  // Once /healthz says so too: what waits for this line finds the daemon ready.
  if (outcome.ok) {
    spdlog::info("{}", outcome.lines.front());
  } else {
    spdlog::error("{}", outcome.lines.back());
  }
  notifier_.ready(status());
  unlock();
  co_return outcome;
}

// The listener set gives way to the next config's (net::ListenerSet::replace), which is swapped
// in, its sockets stored, and started; on refusal the previous config goes on serving.
asio::awaitable<control::ReloadOutcome> Daemon::replace(
    std::shared_ptr<const config::Config> next) {
  auto replacement = co_await listeners_->replace(*config_, *next);
  swap_in(std::move(replacement.listeners));
  if (!replacement.refusal.empty()) {
    listeners_->start();
    co_return control::ReloadOutcome{false, std::move(replacement.refusal)};
  }
  if (next->threads != config_->threads) {
    spdlog::warn("threads: the change from {} to {} applies at the next restart", config_->threads,
                 next->threads);
  }
  update_connection_cap(false);
  set_log_level(options_.log_level.value_or(next->log_level));
  set_log_target(next->log_target);
  const auto previous = std::exchange(config_, std::move(next));
  store_sockets(previous.get());
  listeners_->start();
  const auto summary =
      fmt::format("reloaded {}: {} listener(s) on {} address(es)", config::describe_files(*config_),
                  listeners_->size(), listeners_->endpoint_count());
  co_return control::ReloadOutcome{true, {summary}};
}

void Daemon::update_connection_cap(bool announce) {
  // Connections open now hold descriptors of their own, which the cap counts already.
  const auto open = counts_->active();
  const auto total = descriptors_in_use();
  const auto in_use = total > open ? total - open : 0;
  const auto cap = connection_cap(descriptors_.soft, in_use);
  counts_->set_cap(cap);
  if (!announce) {
    spdlog::debug("connection cap {} ({} descriptors in use)", cap, in_use);
    return;
  }
  const std::string limit =
      descriptors_.soft == descriptors_.soft_before
          ? fmt::format("descriptor limit {} (hard limit {})", descriptors_.soft, descriptors_.hard)
          : fmt::format("descriptor limit raised from {} to {} (hard limit {})",
                        descriptors_.soft_before, descriptors_.soft, descriptors_.hard);
  spdlog::info("{}: at most {} connections at once ({} descriptors in use, {} kept for netsvcd)",
               limit, cap, in_use, descriptor_reserve(descriptors_.soft));
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
  // A ping only once every pool thread has run a handler since the last one: if any thread
  // wedges, the pings stop and systemd restarts the service.
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    for (std::size_t thread = 0; thread < pool_.size(); ++thread)
      co_await asio::post(pool_.context(thread), asio::use_awaitable);
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
    // Not during a reload, which is changing the listeners.
    if (busy_.try_send(boost::system::error_code{})) {
      listeners_->report_refusals();
      unlock();
    }
    if (auto now = status(); now != sent) {
      notifier_.status(now);
      sent = std::move(now);
    }
  }
}

std::string Daemon::status() const {
  const std::lock_guard lock(status_mutex_);
  return fmt::format("{} listener(s) on {} address(es); {} connection(s) active, {} served{}",
                     listener_count_, address_count_, counts_ ? counts_->active() : 0,
                     counts_ ? counts_->served() : 0,
                     last_reload_.empty() ? std::string() : "; " + last_reload_);
}

void Daemon::set_last_reload(std::string outcome) {
  const std::lock_guard lock(status_mutex_);
  last_reload_ = std::move(outcome);
}

}  // namespace netsvcd
