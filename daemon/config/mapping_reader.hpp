// MappingReader: strict, typed access to one YAML mapping of the config file (the top level or
// one listener). Every accessor records its key as known; finish() then reports each key nobody
// asked for, so a typo is an error, never silently ignored. Errors go to a ConfigErrors with the
// value's file:line:column and key path. Used by one thread; holds references to the node and
// the error list, which must outlive it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/node/node.h>

#include "config/config_error.hpp"

namespace netsvcd::config {

class MappingReader {
 public:
  // `path` is the mapping's own key path ("" for the top level, "listeners[2]" for a listener).
  MappingReader(const YAML::Node& mapping, std::string path, ConfigErrors& errors);

  // The value of `key`, or an undefined node if absent. Marks the key as known.
  YAML::Node find(std::string_view key);

  // Typed values. Absent keys give nullopt with no error; a value of the wrong type or out of
  // range is reported and also gives nullopt.
  std::optional<std::string> string(std::string_view key);
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max);
  std::optional<bool> boolean(std::string_view key);
  std::optional<std::chrono::milliseconds> duration(std::string_view key,
                                                    std::chrono::milliseconds min);

  // A required key that is absent is reported at the mapping itself.
  std::optional<std::string> required_string(std::string_view key);

  // Reports `message` at the value of `key` (at the mapping if the key is absent).
  void error(std::string_view key, std::string message);
  // Reports `message` at `node`, whose path is `path`.
  void error_at(const YAML::Node& node, std::string path, std::string message);

  // "listeners[1].kind" for key "kind".
  std::string path_of(std::string_view key) const;
  ConfigErrors& errors() { return errors_; }
  // The keys asked for so far, in the order first asked.
  const std::vector<std::string>& known_keys() const { return known_keys_; }

  // Counts `key` as known without reading it.
  void allow(std::string_view key) { entry(key); }
  // If the mapping has `key`, reports `message` at the key itself: a key that has no place here,
  // whatever its value. finish() then leaves it alone, and does not offer it as expected.
  void reject(std::string_view key, std::string message);

  // Reports every key that no accessor asked for, naming the ones that were expected (and the
  // closest one, when the key looks like a typo of it).
  void finish();

 private:
  struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
    bool rejected = false;
  };

  const Entry* entry(std::string_view key);

  YAML::Node mapping_;
  std::string path_;
  ConfigErrors& errors_;
  std::vector<Entry> entries_;
  std::vector<std::string> known_keys_;
};

// Human-readable YAML type of `node` for messages: "a list", "a mapping", "nothing".
std::string describe_node(const YAML::Node& node);

}  // namespace netsvcd::config
