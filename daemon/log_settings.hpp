// The two logging settings a config names, as plain values: LogTarget, where log lines go
// (`log_target`), and the level (`log_level`), with their parsers. No state; safe everywhere.
// Kept apart from the logging set-up (logging.hpp) so that the config can name them without
// pulling in the logger.
#pragma once

#include <optional>
#include <string_view>

#include <spdlog/common.h>

namespace netsvcd {

enum class LogTarget {
  automatic,  // the journal when stderr is connected to it ($JOURNAL_STREAM), else the console
  journal,    // the systemd journal's native protocol, with structured fields
  console,    // stderr, coloured on a terminal
};

// "auto", "journal", "console" ► the target; nullopt for anything else.
inline std::optional<LogTarget> parse_log_target(std::string_view name) {
  if (name == "auto") return LogTarget::automatic;
  if (name == "journal") return LogTarget::journal;
  if (name == "console") return LogTarget::console;
  return std::nullopt;
}

// "trace", "debug", "info", "warning", "error" ► the level; nullopt for anything else.
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

}  // namespace netsvcd
