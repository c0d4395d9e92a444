// The config loader: YAML text or file ► a validated Config, or every error found, each naming
// file:line:column, the key path and what was expected. The same loader serves start-up,
// reload and --check-config. Stateless and safe from any thread (it may resolve host names).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/config_error.hpp"
#include "config/listener_kind.hpp"

namespace netsvcd::config {

struct LoadResult {
  std::shared_ptr<const Config> config;  // set exactly when errors is empty
  std::vector<ConfigError> errors;
};

// Reads and validates the file at `path`, whose listeners may be of the `kinds` given (the
// daemon passes services::listener_kinds()); messages name the file as the caller wrote it.
LoadResult load_config_file(const std::filesystem::path& path, ListenerKinds kinds);

// Validates `text` as if it were the contents of a file called `file_name`.
LoadResult parse_config(std::string_view text, const std::string& file_name, ListenerKinds kinds);

}  // namespace netsvcd::config
