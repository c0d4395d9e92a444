// Log calls, for every part of netsvcd: log_with() adds journal fields (LISTENER, PEER, ...) to
// a spdlog call, and describe() puts an exception into words. Where the lines go is set up once
// by main and the daemon (logging.hpp), which nothing else includes. Thread-safe.
#pragma once

#include <exception>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace netsvcd {

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
