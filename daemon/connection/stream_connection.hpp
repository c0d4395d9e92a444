// StreamConnection: one accepted stream (TCP) connection on its way through the pipeline, then
// owned by the service that serves it: the socket, the peer, what it knows of its listener, the
// pool thread it lives on, and its place in the count. Movable; used only by the thread that
// accepted it, which is also the one that runs its context.
// ListenerInfo: what a connection knows of its listener; one per listener, read-only, shared by
// its connections (one that goes on after a reload removed its listener pins it).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include <spdlog/spdlog.h>

#include "asio.hpp"
#include "connection/admission.hpp"
#include "connection/connection_counts.hpp"
#include "connection/listener_stats.hpp"
#include "connection/peer.hpp"
#include "log.hpp"
#include "unique_fd.hpp"

namespace netsvcd::connection {

// A connection's coroutines and sockets are bound to the plain executor of the pool thread's
// context, one pointer, rather than asio::any_io_executor, which is a type-erased object that
// every coroutine frame, operation and socket would carry: that is most of what an idle
// connection costs.
using Executor = asio::io_context::executor_type;
template <typename T = void>
using Task = asio::awaitable<T, Executor>;
using Socket = asio::basic_stream_socket<tcp, Executor>;
// co_await op(use_nothrow) in a Task: std::tuple<error_code, results...>, never an exception.
inline constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable_t<Executor>{});

struct ListenerInfo : std::enable_shared_from_this<ListenerInfo> {
  ListenerInfo(std::string name, std::chrono::milliseconds write_timeout,
               std::shared_ptr<ListenerStats> stats)
      : name(std::move(name)), write_timeout(write_timeout), stats(std::move(stats)) {}

  const std::string name;
  // How long a client may take to receive what a service writes to it.
  const std::chrono::milliseconds write_timeout;
  // What its connections count (bytes sent, answers), carried over reloads with its load.
  const std::shared_ptr<ListenerStats> stats;
};

struct StreamConnection {
  UniqueFd socket;  // connected and non-blocking
  Peer peer;
  // The listener's, alive while the listener accepts; pin() before the connection outlives the
  // call that accepted it.
  const ListenerInfo* listener = nullptr;
  asio::io_context* context = nullptr;  // the accepting thread's, where every wait runs
  ConnectionCounts::Guard count;
  // Where work that takes milliseconds of CPU runs instead (IoPool::workers()).
  asio::io_context* workers = nullptr;
  std::shared_ptr<const ListenerInfo> pinned;
  // Its place among the listener's open connections; after `pinned`, so that it goes first.
  ListenerStats::Open open;
  // Its place in the listener's limits, given back when the connection goes.
  Admission::Ticket admitted;

  // Keeps `listener` alive for as long as this connection: for a service that goes on serving
  // it in a coroutine.
  void pin() {
    if (!pinned) pinned = listener->shared_from_this();
  }

  // The socket as Asio's, registered with the connection's context; `socket` is empty after.
  // Throws if the registration fails (out of kernel memory), `socket` still owning it.
  Socket take_socket() {
    Socket registered(context->get_executor());
    boost::system::error_code ec;
    registered.assign(peer.socket_is_v4() ? tcp::v4() : tcp::v6(), socket.get(), ec);
    if (ec) throw boost::system::system_error(ec, "registering a connection");
    socket.release();
    return registered;
  }
};

// A log line about one connection: "<listener>: <peer>: <message>", with LISTENER and PEER for
// the journal. The peer is put into words only when the level is logged.
template <typename... Args>
void log_connection(const StreamConnection& connection, spdlog::level::level_enum level,
                    fmt::format_string<Args...> format, Args&&... args) {
  if (!spdlog::should_log(level)) return;
  const std::string peer = connection.peer.describe();
  const std::string& listener = connection.listener->name;
  log_with({.listener = listener, .peer = peer}, level, "{}: {}: {}", listener, peer,
           fmt::format(format, std::forward<Args>(args)...));
}

// Runs `work`, a coroutine that serves `connection` to its end, on the connection's context.
// `work` must catch what it throws (serve_connection does): nothing is attached to report it.
inline void spawn(asio::io_context& context, Task<> work) {
  asio::co_spawn(context, std::move(work), asio::detached);
}

}  // namespace netsvcd::connection
