// How Catch2 prints the project's values in failed checks. Header-only; include it in a test
// that compares such values.
#pragma once

#include <catch2/catch.hpp>
#include <optional>
#include <string>

#include "config/endpoint.hpp"

namespace Catch {

template <>
struct StringMaker<netsvcd::config::Endpoint> {
  static std::string convert(const netsvcd::config::Endpoint& endpoint) {
    return netsvcd::config::to_string(endpoint) + (endpoint.v6only ? " (v6only)" : "");
  }
};

// Exit codes: the code, or that there was none yet.
template <>
struct StringMaker<std::optional<int>> {
  static std::string convert(const std::optional<int>& code) {
    return code ? "exit code " + std::to_string(*code) : std::string("no exit yet");
  }
};

}  // namespace Catch
