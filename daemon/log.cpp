#include "log.hpp"

#include <utility>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace netsvcd {
namespace {
thread_local const LogFields* current_fields = nullptr;
}  // namespace

const LogFields* current_log_fields() {
  return current_fields;
}

detail::CurrentLogFields::CurrentLogFields(const LogFields& fields)
    : previous_(std::exchange(current_fields, &fields)) {}

detail::CurrentLogFields::~CurrentLogFields() {
  current_fields = previous_;
}

void init_logging(spdlog::level::level_enum level) {
  auto logger = spdlog::stderr_color_mt("netsvcd");
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  spdlog::set_default_logger(std::move(logger));
  set_log_level(level);
}

void set_log_level(spdlog::level::level_enum level) {
  spdlog::set_level(level);
  // Warnings and errors must reach a pipe or the journal at once, not when a buffer fills.
  spdlog::flush_on(spdlog::level::trace);
}

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) {
  if (name == "trace") return spdlog::level::trace;
  if (name == "debug") return spdlog::level::debug;
  if (name == "info") return spdlog::level::info;
  if (name == "warning") return spdlog::level::warn;
  if (name == "error") return spdlog::level::err;
  return std::nullopt;
}

std::string describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

}  // namespace netsvcd
