// What the config loader makes of a YAML text, for unit tests: every error as the user reads it,
// or the config, which must be valid. Named "netsvcd.yaml", with the kinds netsvcd registers.
// Header-only; call from the test thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "config/config_error.hpp"
#include "config/loader.hpp"
#include "services/registry.hpp"

namespace netsvcd::test {

// Every error message for `text`, "netsvcd.yaml:line:column: path: message"; also checks that
// no config comes with errors.
inline std::vector<std::string> errors_of(std::string_view text) {
  const auto result = config::parse_config(text, "netsvcd.yaml", services::listener_kinds());
  CHECK(result.config == nullptr);
  std::vector<std::string> out;
  for (const auto& error : result.errors)
    out.push_back(config::to_string(error));
  return out;
}

// The config for `text`, which must be valid.
inline std::shared_ptr<const config::Config> config_of(std::string_view text) {
  const auto result = config::parse_config(text, "netsvcd.yaml", services::listener_kinds());
  std::vector<std::string> errors;
  for (const auto& error : result.errors)
    errors.push_back(config::to_string(error));
  INFO("errors: " << Catch::Detail::stringify(errors));
  REQUIRE(errors.empty());
  REQUIRE(result.config != nullptr);
  return result.config;
}

}  // namespace netsvcd::test
