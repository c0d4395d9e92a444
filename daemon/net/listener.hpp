// Listener: one configured listener at run time: its listening sockets, an accept loop for each
// TCP socket on every pool thread, and the pipeline that takes what they accept to the service;
// a datagram loop for each UDP socket on one pool thread, and the responder that answers.
// Owned by a ListenerSet through shared_ptr; each accept loop holds one too, so a stopped
// listener lives until its loops have ended. Thread safety: start(), stop() and
// release_sockets() are called by one thread at a time (the daemon's); each accept loop runs on
// its own pool thread, which alone touches what it waits on; what the loops of one socket share
// is atomic or under a mutex.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "asio.hpp"
#include "config/config.hpp"
#include "connection/connection_counts.hpp"
#include "io_pool.hpp"
#include "metrics/daemon_state.hpp"
#include "net/datagram_responder.hpp"
#include "net/listening_socket.hpp"
#include "net/log_throttle.hpp"
#include "net/pipeline.hpp"

namespace netsvcd::net {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // `load` is what admission counts for the listener of this name, carried over from the
  // previous config's listener of the same name, if any.
  Listener(IoPool& pool, config::ListenerConfig config, std::vector<ListeningSocket> sockets,
           connection::ConnectionCounts& counts, std::shared_ptr<connection::ListenerLoad> load);

  const config::ListenerConfig& config() const { return config_; }
  const std::shared_ptr<connection::ListenerLoad>& load() const {
    return pipeline_->admission().load();
  }
  // Logs the refusals of the last report interval, if any; see Pipeline::report_refusals.
  void report_refusals(bool force = false) const { pipeline_->report_refusals(force); }

  // Starts an accept loop for each socket on every pool thread. Every thread can accept, but
  // one at a time waits: see Socket::turn.
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
  // What the metrics listeners and `netsvcd --status` report of this listener.
  metrics::ListenerView view() const;

 private:
  using Clock = std::chrono::steady_clock;

  // One listening socket, and what its accept loops on every thread share.
  struct Socket {
    Socket(ListeningSocket listening, Clock::duration report_interval)
        : listening(std::move(listening)), report(report_interval) {}
    ListeningSocket listening;
    // The pool thread whose turn it is to wait for connections. One thread waits at a time, so
    // that a connection wakes one thread, not every one (what EPOLLEXCLUSIVE does, which Asio's
    // reactor cannot ask for: every waiting thread woke for each connection, and that cost half
    // again the CPU of a connection). The turn passes to a thread with fewer connections open,
    // so that long-lived connections spread over the pool; under a deep backlog another thread
    // is asked to help drain it.
    std::atomic<std::size_t> turn{0};
    std::atomic<bool> helped{false};  // a helper is draining the backlog
    // The pause after a failed accept, shared so that the loops together retry once a pause.
    std::atomic<Clock::rep> paused_until{0};
    std::mutex report_mutex;
    LogThrottle report;  // guarded by report_mutex
  };

  // What one thread's loop for one socket waits on: on its turn the socket, a duplicate of it
  // in that thread's epoll; otherwise its turn, with the duplicate out of the epoll (an epoll
  // that holds the socket wakes its thread for every connection, waited for or not).
  struct Loop {
    Loop(asio::io_context& context, UniqueFd fd)
        : socket(context),
          out_of_epoll(std::move(fd)),
          turn_signal(context, Clock::time_point::max()) {}
    // In this thread's epoll while it is its turn; the error (and still out) if epoll refuses.
    boost::system::error_code enter_epoll() {
      boost::system::error_code ec;
      if (!out_of_epoll) return ec;
      socket.assign(out_of_epoll.get(), ec);
      if (!ec) out_of_epoll.release();
      return ec;
    }
    void leave_epoll() {
      if (socket.is_open()) out_of_epoll.reset(socket.release());
    }
    int fd() { return socket.is_open() ? socket.native_handle() : out_of_epoll.get(); }

    asio::posix::stream_descriptor socket;
    UniqueFd out_of_epoll;
    asio::steady_timer turn_signal;  // cancelled when the turn comes to this thread
  };

  enum class Batch { drained, full, handed_over, failed };

  asio::awaitable<void> accept_loop(std::size_t thread, std::size_t socket);
  // A UDP socket's loop: one thread's, for good (a batch of datagrams is answered in
  // microseconds, with nothing left open to spread over the pool).
  asio::awaitable<void> datagram_loop(std::size_t thread, std::size_t socket);
  bool is_datagram(std::size_t socket) const {
    return sockets_[socket]->listening.endpoint.transport == config::Transport::udp;
  }
  // Accepts what the kernel has waiting on `socket`, up to a batch, on `thread`; the waiting
  // thread may hand its turn on (and then stops), a helper never does.
  Batch accept_batch(std::size_t socket, std::size_t thread, bool waiting);
  // The thread that should wait next on `socket` instead of `thread`, if its turn should pass.
  std::optional<std::size_t> next_turn(std::size_t socket, std::size_t thread) const;
  // Another thread than `thread` that has a loop on `socket`, if any.
  std::optional<std::size_t> any_other_loop(std::size_t socket, std::size_t thread) const;
  void give_turn(std::size_t socket, std::size_t to);
  void ask_for_help(std::size_t socket, std::size_t from);
  void help(std::size_t socket, std::size_t thread);
  // Stops every loop on `socket` from accepting for a moment, and says why (at most once per
  // report interval).
  void pause_accepting(Socket& socket, const std::string& why, spdlog::level::level_enum level);
  asio::awaitable<void> stop_loops();
  asio::awaitable<void> stop_loops_on(std::size_t thread);

  IoPool& pool_;
  const config::ListenerConfig config_;
  connection::ConnectionCounts& counts_;
  const std::shared_ptr<const Pipeline> pipeline_;
  // For the udp:// sockets, if there are any.
  std::unique_ptr<const DatagramResponder> datagrams_;
  std::vector<std::unique_ptr<Socket>> sockets_;
  std::atomic<bool> stopped_{false};
  // loops_[thread][socket], made by start() (so that every thread's event loop has them before
  // READY) and then used by that thread alone.
  std::vector<std::vector<std::unique_ptr<Loop>>> loops_;
};

}  // namespace netsvcd::net
