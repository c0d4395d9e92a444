// LogTarget: where log lines go, as the config's `log_target` names it. A plain value with no
// state; safe everywhere. Kept apart from log.hpp so that the config can name a target without
// pulling in spdlog's logger.
#pragma once

#include <optional>
#include <string_view>

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

}  // namespace netsvcd
