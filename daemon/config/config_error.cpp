#include "config/config_error.hpp"

#include <yaml-cpp/mark.h>

#include "log.hpp"

namespace netsvcd::config {

std::string to_string(const ConfigError& error) {
  std::string out = error.file;
  if (error.line > 0) {
    out += ':' + std::to_string(error.line) + ':' + std::to_string(error.column);
  }
  out += ": ";
  if (!error.path.empty()) out += error.path + ": ";
  out += error.message;
  return out;
}

void log_config_errors(const std::vector<ConfigError>& errors) {
  for (const ConfigError& error : errors) {
    log_with({.config_file = error.file, .config_line = error.line}, spdlog::level::err, "{}",
             to_string(error));
  }
}

void ConfigErrors::add(const YAML::Mark& mark, std::string path, std::string message) {
  // yaml-cpp counts from 0 and uses -1 for "no position".
  const bool known = !mark.is_null() && mark.line >= 0;
  errors_.push_back({file_, known ? mark.line + 1 : 0, known ? mark.column + 1 : 0, std::move(path),
                     std::move(message)});
}

void ConfigErrors::add_whole_file(std::string message) {
  errors_.push_back({file_, 0, 0, {}, std::move(message)});
}

}  // namespace netsvcd::config
