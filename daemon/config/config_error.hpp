// ConfigError: one problem found in a config file, with where it is (file:line:column and the
// key path) and what was expected. ConfigErrors collects them while a file is read, so that a
// user sees every error at once. Plain values; ConfigErrors is used by one thread at a time.
#pragma once

#include <string>
#include <vector>

namespace YAML {
class Mark;
}

namespace netsvcd::config {

struct ConfigError {
  std::string file;
  int line = 0;      // 1-based; 0 when the error is about the file as a whole
  int column = 0;    // 1-based
  std::string path;  // key path such as "listeners[1].kind"; empty for syntax errors
  std::string message;

  bool operator==(const ConfigError&) const = default;
};

// "file:line:column: path: message", leaving out the parts that are unknown.
std::string to_string(const ConfigError& error);

// Logs each error at error level as to_string() writes it, with the journal fields CONFIG_FILE
// and CONFIG_LINE (when the error has a line), so that `journalctl CONFIG_FILE=...` finds them.
// Thread-safe, as logging is.
void log_config_errors(const std::vector<ConfigError>& errors);

class ConfigErrors {
 public:
  explicit ConfigErrors(std::string file) : file_(std::move(file)) {}

  void add(const YAML::Mark& mark, std::string path, std::string message);
  void add_whole_file(std::string message);

  const std::string& file() const { return file_; }
  bool empty() const { return errors_.empty(); }
  std::size_t size() const { return errors_.size(); }
  std::vector<ConfigError> take() { return std::move(errors_); }

 private:
  std::string file_;
  std::vector<ConfigError> errors_;
};

}  // namespace netsvcd::config
