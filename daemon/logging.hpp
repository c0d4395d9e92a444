// Logging set-up: spdlog's default logger, writing to the systemd journal with structured fields
// or to stderr (coloured on a terminal). Only main and the Daemon include this; everyone else
// logs through log.hpp. Call init_logging() once at start-up, before any other thread exists;
// after that set_log_target() and set_log_level() may be called from any thread while others log.
#pragma once

#include <spdlog/common.h>

#include "log_settings.hpp"

namespace netsvcd {

// Sets up the default logger at `level`, its target chosen as LogTarget::automatic says (the
// config is not read yet).
void init_logging(spdlog::level::level_enum level);
void set_log_level(spdlog::level::level_enum level);

// Sends the lines from now on to `target`: the daemon calls it once the config is loaded, and
// again on each reload. Without the journal's socket (journald not running) the lines stay on
// the console, since sd_journal_sendv would drop each one silently; `journal` then says so in a
// warning. Safe from any thread while others log (a line being logged finishes on the target it
// started on); calls are serialised. Does nothing before init_logging().
void set_log_target(LogTarget target);

}  // namespace netsvcd
