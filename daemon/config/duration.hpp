// Durations as a config file writes them: "10s", "500ms", "2m", "1h", or a bare number of
// seconds ("1.5"). Pure functions.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace netsvcd::config {

// The duration `text` spells, or nullopt if it is not one (negative values are not durations).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// The shortest spelling parse_duration reads back: "10s", "1500ms", "2m".
std::string format_duration(std::chrono::milliseconds duration);

}  // namespace netsvcd::config
