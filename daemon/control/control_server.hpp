// ControlServer: the unix socket through which `netsvcd --reload` (systemd's ExecReload=) asks
// the running daemon to reload and waits for the outcome, which a signal cannot carry back, and
// through which `netsvcd --status` asks what it is doing.
// Protocol, one request per connection: the client sends "reload\n" or "status\n"; the daemon
// answers "ok\n" or "failed\n", then lines of detail (for status, one line of JSON), and closes.
// Only root and the daemon's own user may ask.
// Owned by the Daemon: open() before the pool runs, close() from any thread; the acceptor lives on
// a strand of its own, the sessions on the pool.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "asio.hpp"

namespace netsvcd::control {

struct ReloadOutcome {
  bool ok = false;
  std::vector<std::string> lines;  // what changed, or every reason it was refused
};

class ControlServer {
 public:
  using ReloadHandler = std::function<asio::awaitable<ReloadOutcome>()>;
  // The daemon's status as one line of JSON; called on the pool, from any thread.
  using StatusHandler = std::function<std::string()>;

  ControlServer(asio::io_context& context, ReloadHandler on_reload, StatusHandler on_status);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Listens on `path` (mode 0600), replacing a stale socket left by a daemon that died, and
  // starts answering; an error message naming the path if it cannot.
  std::optional<std::string> open(const std::filesystem::path& path);
  // Stops answering and removes the socket file, completing once the socket is closed. Requests
  // in progress finish.
  asio::awaitable<void> close();

 private:
  asio::awaitable<void> close_on_strand();
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(asio::local::stream_protocol::socket socket);

  asio::io_context& context_;
  ReloadHandler on_reload_;
  StatusHandler on_status_;
  asio::strand<asio::io_context::executor_type> strand_;
  asio::local::stream_protocol::acceptor acceptor_;  // guarded by strand_
  std::filesystem::path path_;                       // set by open(), then read-only
  bool open_ = false;                                // guarded by strand_
};

}  // namespace netsvcd::control
