// Logging set-up: spdlog's default logger writing to stderr, coloured on a terminal. Call
// init_logging() once at start-up, before any other thread exists; logging itself is
// thread-safe.
#pragma once

#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include <spdlog/common.h>

namespace netsvcd {

void init_logging(spdlog::level::level_enum level);
void set_log_level(spdlog::level::level_enum level);

// "trace", "debug", "info", "warning", "error" ► the level; nullopt for anything else.
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

// What an exception says, for a log line: its what(), or that it was not a std::exception.
std::string describe(const std::exception_ptr& error);

}  // namespace netsvcd
