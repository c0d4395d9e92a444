// Rack: the tiles a word-finder request offers, as letter counts a-z and a number of blank tiles
// ('_' in a URL) that stand for any letter, parsed from the path segment with the listener's
// limits. Plain values and pure functions, safe from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace netsvcd::wordfinder {

struct Rack {
  std::array<std::uint32_t, 26> counts{};  // counts[0] is how many 'a' tiles
  std::uint32_t blanks = 0;

  // Letter tiles, not counting blanks.
  std::uint32_t letters() const;
  std::uint32_t tiles() const { return letters() + blanks; }

  // The normalised spelling, the cache key: the letters sorted, then one '_' a blank
  // ("xlera_r_" gives "aelrrx__"). parse_rack reads it back as the same rack.
  std::string key() const;

  bool operator==(const Rack&) const = default;
};

struct RackLimits {
  std::uint32_t max_tiles = 20;  // letters and blanks together (the config's max_letters)
  std::uint32_t max_blanks = 2;
};

enum class RackError { kNone, kEmpty, kBadCharacter, kTooManyTiles, kTooManyBlanks };

struct ParsedRack {
  std::optional<Rack> rack;  // set exactly when error is kNone
  RackError error = RackError::kNone;
  std::string message;  // for a person, when error is not kNone; ASCII, no control characters
};

// Reads a rack from a URL path segment (already percent-decoded): letters in either case and '_'
// for a blank, nothing else. Checks, and reports the first that fails, in this order: empty, a
// character that is not a letter or '_' (the message names it and its position), more than
// max_tiles tiles, more than max_blanks blanks.
ParsedRack parse_rack(std::string_view segment, const RackLimits& limits);

}  // namespace netsvcd::wordfinder
