// The config loader: YAML text into parse_config with the daemon's kinds. What the result must
// be (a config exactly when there is no error; errors in file order, each naming the file; a
// config's listeners named, unique, with endpoints that do not clash), and the same result for
// the same text twice.
//
// Offline: a listen entry naming a host makes the loader resolve it (getaddrinfo: slow, and it
// depends on the network), and a word finder loads its dictionary from disk (the default one
// is 100,000 words). Documents that would do either are not fed to the loader; the rules below
// keep every other path of it. Relative dictionary paths are relative to the working directory
// (the file is "fuzz.yaml"): make fuzz runs the target in a scratch directory with a tiny word
// list called "words". An `include:` is checked but reads no file: parse_config reads it as
// matching nothing, so every error still names "fuzz.yaml".
#include <algorithm>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/loader.hpp"
#include "fuzz_targets.hpp"
#include "services/registry.hpp"

namespace netsvcd::fuzz {
namespace {

using config::ConfigError;
using config::LoadResult;

// Whether the loader would resolve the host of the listen entry `text` (endpoint.cpp's
// resolve_listen: an unbracketed host:port whose host is a name rather than an IPv4 address).
bool resolves_a_name(std::string_view text) {
  if (text.starts_with('[')) return false;
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view host = text.substr(0, colon);
  if (host.empty() || host.find(':') != std::string_view::npos) return false;
  if (host.find_first_not_of("0123456789.") == std::string_view::npos) return false;
  return std::ranges::all_of(host, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
  });
}

// A dictionary the loader may read: a file of the working directory, named as a scalar.
bool local_dictionary(const YAML::Node& value) {
  if (!value.IsScalar()) return false;  // the loader would fall back to the default one
  const std::string& path = value.Scalar();
  return !path.empty() && path.find('/') == std::string::npos;
}

bool offline(const YAML::Node& node, int depth) {
  if (depth > 256) return false;
  if (node.IsSequence()) {
    for (const auto& item : node)
      if (!offline(item, depth + 1)) return false;
    return true;
  }
  if (!node.IsMap()) return true;
  bool wordfinder = false;
  bool dictionary = false;
  for (const auto& pair : node) {
    const std::string key = pair.first.IsScalar() ? pair.first.Scalar() : std::string();
    const YAML::Node& value = pair.second;
    if (key == "listen") {
      if (value.IsScalar() && resolves_a_name(value.Scalar())) return false;
      if (value.IsSequence()) {
        for (const auto& entry : value)
          if (entry.IsScalar() && resolves_a_name(entry.Scalar())) return false;
      }
    }
    if (key == "kind" && value.IsScalar() && value.Scalar() == "wordfinder") wordfinder = true;
    if (key == "dictionary") {
      if (!local_dictionary(value)) return false;
      dictionary = true;
    }
    if (!offline(pair.first, depth + 1) || !offline(value, depth + 1)) return false;
  }
  return !wordfinder || dictionary;
}

// Whether the loader can be given `text` without leaving the working directory. The loader
// reads the first document only (of others, it only notes that they are there), and one that
// does not parse is reported as such.
bool offline(std::string_view text) {
  try {
    return offline(YAML::Load(std::string(text)), 0);
  } catch (const YAML::Exception&) {
    return true;
  }
}

bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

void check_result(const LoadResult& result) {
  check(static_cast<bool>(result.config) == result.errors.empty(),
        "a config is set exactly when there is no error");
  for (std::size_t i = 0; i < result.errors.size(); ++i) {
    const ConfigError& error = result.errors[i];
    const std::string where = "error " + std::to_string(i) + " (" + to_string(error) + ")";
    check(error.file == "fuzz.yaml", where + ": names another file");
    check(!error.message.empty(), where + ": no message");
    check(error.line >= 0 && error.column >= 0, where + ": a negative line or column");
    check(error.line > 0 || error.column == 0 || error.path.empty(),
          where + ": a column without a line");
    if (i > 0) {
      const ConfigError& before = result.errors[i - 1];
      check(std::pair(before.line, before.column) <= std::pair(error.line, error.column),
            where + ": not in file order");
    }
  }
  if (!result.config) return;
  const config::Config& config = *result.config;
  check(config.file == "fuzz.yaml", "the config names another file");
  check(config.threads >= 1 && config.threads <= 1024, "threads out of 1-1024");
  check(!config.listeners.empty(), "a config without listeners");
  std::vector<const config::Endpoint*> endpoints;
  for (std::size_t i = 0; i < config.listeners.size(); ++i) {
    const auto& listener = config.listeners[i];
    check(valid_name(listener.name), "a listener named \"" + listener.name + "\"");
    for (std::size_t j = 0; j < i; ++j)
      check(config.listeners[j].name != listener.name, "two listeners named " + listener.name);
    check(static_cast<bool>(listener.service), "listener " + listener.name + " has no service");
    check(!listener.endpoints.empty(), "listener " + listener.name + " has no endpoint");
    for (const auto& endpoint : listener.endpoints) {
      check(endpoint.port != 0, "listener " + listener.name + " has port 0");
      for (const auto* other : endpoints) {
        check(!config::bind_conflict(*other, endpoint), "listener " + listener.name + ": " +
                                                            to_string(endpoint) + " clashes with " +
                                                            to_string(*other));
      }
      endpoints.push_back(&endpoint);
    }
  }
}

}  // namespace

void config_loader(std::string_view input) {
  if (!offline(input)) return;
  const auto kinds = services::listener_kinds();
  const LoadResult first = config::parse_config(input, "fuzz.yaml", kinds);
  check_result(first);
  const LoadResult second = config::parse_config(input, "fuzz.yaml", kinds);
  check(first.errors == second.errors, "the same text gives other errors the second time");
}

}  // namespace netsvcd::fuzz
