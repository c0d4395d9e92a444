// Daemon: netsvcd's lifecycle in order: load the config, adopt or bind every listener's sockets,
// serve on the pool and tell systemd it is ready; on SIGHUP or a control request reload the
// config without refusing a connection; on SIGTERM/SIGINT stop accepting, drain and exit.
// Owned by main(); run() is called once, from the main thread. Its own work (signals, reloads,
// the stop, the control socket) runs on the pool's context 0, one reload or stop at a time
// (busy_ serialises them).
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <spdlog/common.h>
#include <boost/asio/experimental/concurrent_channel.hpp>

#include "asio.hpp"
#include "config/config.hpp"
#include "connection/connection_counts.hpp"
#include "control/control_server.hpp"
#include "descriptor_budget.hpp"
#include "io_pool.hpp"
#include "net/listener_set.hpp"
#include "systemd/notifier.hpp"

namespace netsvcd {

// Process exit codes, as documented in the README.
enum ExitCode : int {
  kExitOk = 0,
  kExitConfigInvalid = 1,
  kExitUsage = 2,
  kExitStartFailed = 3,
};

class Daemon {
 public:
  struct Options {
    std::filesystem::path config_file;
    // --log-level: wins over the file's log_level.
    std::optional<spdlog::level::level_enum> log_level;
    // --control-socket: where `netsvcd --reload` reaches this daemon; none when empty.
    std::filesystem::path control_socket;
  };

  explicit Daemon(Options options);

  // Serves until stopped by a signal; returns the process exit code.
  int run();

 private:
  net::SocketSource adopt_passed_sockets(const config::Config& config);
  asio::awaitable<void> watch_signals();
  asio::awaitable<int> next_stop_signal();
  asio::awaitable<void> stop(int signal);
  asio::awaitable<void> delay_stop(int signal);
  asio::awaitable<control::ReloadOutcome> reload(
      std::string trigger);  // a coroutine: owns what it logs
  asio::awaitable<control::ReloadOutcome> replace(std::shared_ptr<const config::Config> next);
  asio::awaitable<void> wait_for_drain(std::chrono::milliseconds limit);
  void reload_on_signal();
  void store_sockets(const config::Config* previous);
  void swap_in(net::ListenerSet listeners);
  asio::awaitable<void> send_watchdog_pings(std::chrono::microseconds interval);
  asio::awaitable<void> keep_status_current();
  std::string status() const;
  void set_last_reload(std::string outcome);
  // Caps the connections held at once by what the descriptor limit leaves free now.
  void update_connection_cap(bool announce);

  asio::awaitable<void> lock();
  void unlock();

  // Must outlive every connection, so it outlives the pool that runs them; made once the
  // config says how many threads there are.
  std::optional<connection::ConnectionCounts> counts_;
  Options options_;
  DescriptorLimit descriptors_;
  systemd::Notifier notifier_;
  IoPool pool_;
  // Destroyed before the pool's io_context, which they use.
  asio::signal_set signals_;
  asio::experimental::concurrent_channel<void(boost::system::error_code)> busy_;
  std::shared_ptr<const config::Config> config_;  // guarded by busy_
  std::optional<net::ListenerSet> listeners_;     // guarded by busy_
  std::optional<control::ControlServer> control_;
  // Reads a reloaded config and its dictionaries while the pool goes on serving.
  asio::thread_pool loader_{1};

  mutable std::mutex status_mutex_;
  std::size_t listener_count_ = 0;  // guarded by status_mutex_
  std::size_t address_count_ = 0;   // guarded by status_mutex_
  std::string last_reload_;         // guarded by status_mutex_
};

}  // namespace netsvcd
