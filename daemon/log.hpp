// Logging set-up: spdlog's default logger, writing to the systemd journal with structured fields
// or to stderr (coloured on a terminal). Call init_logging() once at start-up, before any other
// thread exists; after that set_log_target() and set_log_level() may be called from any thread,
// while others log. Logging itself is thread-safe.
#pragma once

#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "log_target.hpp"

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

// "trace", "debug", "info", "warning", "error" ► the level; nullopt for anything else.
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

// Journal fields for one log line, so that `journalctl LISTENER=words` finds it. Empty views are
// left out. The console shows only the message, which names the same things in words.
// Every member has an initialiser, so that g++ 12's -Wmissing-field-initializers accepts a
// designated initialiser that names only some of them.
struct LogFields {
  std::string_view listener{};
  std::string_view peer{};
  std::string_view config_file{};
  int config_line = 0;  // 0: none
};

// For sinks: the fields of the line being logged by this thread right now, or nullptr.
const LogFields* current_log_fields();

namespace detail {
// Makes `fields` current on this thread for one synchronous spdlog call. Never held across a
// co_await: the coroutine may resume on another thread.
class CurrentLogFields {
 public:
  explicit CurrentLogFields(const LogFields& fields);
  ~CurrentLogFields();
  CurrentLogFields(const CurrentLogFields&) = delete;
  CurrentLogFields& operator=(const CurrentLogFields&) = delete;

 private:
  const LogFields* previous_;
};
}  // namespace detail

// spdlog::log with journal fields: log_with({.listener = name}, spdlog::level::warn, "...", ...).
template <typename... Args>
void log_with(const LogFields& fields, spdlog::level::level_enum level,
              fmt::format_string<Args...> format, Args&&... args) {
  const detail::CurrentLogFields scope(fields);
  spdlog::log(level, format, std::forward<Args>(args)...);
}

// What an exception says, for a log line: its what(), or that it was not a std::exception.
std::string describe(const std::exception_ptr& error);

}  // namespace netsvcd
