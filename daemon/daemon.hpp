// Daemon: netsvcd's lifecycle in order: load the config, bind every listener, serve on the
// pool, and on SIGTERM/SIGINT stop accepting, drain and exit. Owned by main(); run() is called
// once, from the main thread.
#pragma once

#include <filesystem>
#include <optional>

#include <spdlog/common.h>

#include "asio.hpp"
#include "net/connection_tracker.hpp"

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
  };

  explicit Daemon(Options options) : options_(std::move(options)) {}

  // Serves until stopped by a signal; returns the process exit code.
  int run();

 private:
  // Must outlive every connection, so it outlives the pool that runs them.
  net::ConnectionTracker tracker_;
  Options options_;
};

}  // namespace netsvcd
