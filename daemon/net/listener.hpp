// Listener: one configured listener at run time: its listening sockets, an accept loop on each
// socket on every pool thread, and the pipeline that takes what they accept to the service.
// Owned by a ListenerSet through shared_ptr; each accept loop holds one too, so a stopped
// listener lives until its loops have ended. Thread safety: start(), stop() and
// release_sockets() are called by one thread at a time (the daemon's); each accept loop runs on
// its own pool thread, which alone touches what it waits on.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "asio.hpp"
#include "config/config.hpp"
#include "connection/connection_counts.hpp"
#include "io_pool.hpp"
#include "net/listening_socket.hpp"
#include "net/log_throttle.hpp"
#include "net/pipeline.hpp"

namespace netsvcd::net {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(IoPool& pool, config::ListenerConfig config, std::vector<ListeningSocket> sockets,
           connection::ConnectionCounts& counts);

  const config::ListenerConfig& config() const { return config_; }

  // Starts an accept loop on each socket on every pool thread: whichever thread is free takes
  // the next connection.
  void start();
  // Stops accepting and closes the listening sockets, completing once every loop has let go of
  // them; connections in flight go on to their end. The caller keeps the listener alive
  // meanwhile.
  asio::awaitable<void> stop();
  // Stops accepting and hands the listening sockets over, still listening, for the listeners of
  // a reloaded config: connections arriving meanwhile wait in the kernel's backlog.
  asio::awaitable<std::vector<ListeningSocket>> release_sockets();

  // The listening sockets' descriptors, for systemd's fd store.
  std::vector<int> native_handles() const;

 private:
  // One listening socket, and what its accept loops on every thread share: the pause after a
  // failed accept (so that the loops together retry once per pause) and the report of it.
  struct Socket {
    Socket(ListeningSocket listening, std::chrono::steady_clock::duration report_interval)
        : listening(std::move(listening)), report(report_interval) {}
    ListeningSocket listening;
    std::atomic<std::chrono::steady_clock::rep> paused_until{0};
    std::mutex report_mutex;
    LogThrottle report;  // guarded by report_mutex
  };

  asio::awaitable<void> accept_loop(std::size_t thread, std::size_t socket);
  // Accepts what the kernel has waiting on `fd`, up to a batch; false if the batch filled up.
  bool accept_batch(Socket& socket, int fd, std::size_t thread);
  void report_failure(Socket& socket, int error);
  asio::awaitable<void> stop_loops();
  asio::awaitable<void> stop_loops_on(std::size_t thread);

  IoPool& pool_;
  const config::ListenerConfig config_;
  Pipeline pipeline_;
  std::vector<std::unique_ptr<Socket>> sockets_;
  std::atomic<bool> stopped_{false};
  // waiting_[thread][socket]: what that thread's loop waits on, made by start() (so that every
  // thread's event loop has it before READY) and then used by that thread alone.
  std::vector<std::vector<std::unique_ptr<asio::posix::stream_descriptor>>> waiting_;
};

}  // namespace netsvcd::net
