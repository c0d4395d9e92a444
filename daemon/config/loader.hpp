// The config loader: YAML text or file ► a validated Config, or every error found, each naming
// file:line:column, the key path and what was expected. A file's `include:` adds the listeners
// of drop-in files (conf.d/*.yaml), read with it as one config. The same loader serves start-up,
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

// Reads and validates the file at `path` and the drop-ins its `include:` names, whose listeners
// may be of the `kinds` given (the daemon passes services::listener_kinds()); messages name the
// file as the caller wrote it, and each drop-in as that joined to the pattern. The errors come
// file by file (the main file first, then the drop-ins in the order read), each file's in order.
LoadResult load_config_file(const std::filesystem::path& path, ListenerKinds kinds);

// Validates `text` as if it were the contents of a file called `file_name`. It reads no file:
// its `include:` is checked but read as if it matched nothing (for tests and the fuzzer).
LoadResult parse_config(std::string_view text, const std::string& file_name, ListenerKinds kinds);

// "FILE", or "FILE + 2 drop-ins (A, B)": which files a config was read from, for log lines.
std::string describe_files(const Config& config);

}  // namespace netsvcd::config
