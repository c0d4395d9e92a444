// The rack normaliser: parse_rack's documented order of checks, its error messages (ASCII, no
// control characters), and a parsed rack's key, which parse_rack reads back as the same rack.
#include <cstddef>
#include <cstdint>

#include "fuzz_targets.hpp"
#include "wordfinder/rack.hpp"

namespace netsvcd::fuzz {
namespace {

using wordfinder::parse_rack;
using wordfinder::Rack;
using wordfinder::RackError;
using wordfinder::RackLimits;

// What parse_rack must answer, from its comment in rack.hpp, computed apart.
RackError expected_error(std::string_view segment, const RackLimits& limits,
                         std::size_t& bad_position) {
  if (segment.empty()) return RackError::kEmpty;
  std::uint64_t tiles = 0;
  std::uint64_t blanks = 0;
  for (std::size_t i = 0; i < segment.size(); ++i) {
    const char c = segment[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!letter && c != '_') {
      bad_position = i + 1;
      return RackError::kBadCharacter;
    }
    ++tiles;
    if (c == '_') ++blanks;
  }
  if (tiles > limits.max_tiles) return RackError::kTooManyTiles;
  if (blanks > limits.max_blanks) return RackError::kTooManyBlanks;
  return RackError::kNone;
}

void check_one(std::string_view segment, const RackLimits& limits) {
  const auto parsed = parse_rack(segment, limits);
  std::size_t bad_position = 0;
  const RackError expected = expected_error(segment, limits, bad_position);
  check(parsed.error == expected, "parse_rack's error is not the first check that fails");
  check(parsed.rack.has_value() == (parsed.error == RackError::kNone),
        "a rack is set exactly when there is no error");
  if (!parsed.rack) {
    check(!parsed.message.empty(), "an error without a message");
    for (const char c : parsed.message) {
      const auto byte = static_cast<unsigned char>(c);
      check(byte >= 0x20 && byte < 0x7f, "a message with a control or non-ASCII byte");
    }
    if (expected == RackError::kBadCharacter) {
      check(parsed.message.find("at position " + std::to_string(bad_position) + " ") !=
                std::string::npos,
            "the message does not name the bad character's position");
    }
    return;
  }
  const Rack& rack = *parsed.rack;
  Rack counted;
  for (const char c : segment) {
    if (c == '_') {
      ++counted.blanks;
    } else {
      const char lower = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
      ++counted.counts[static_cast<std::size_t>(lower - 'a')];
    }
  }
  check(rack == counted, "the rack's counts are not the segment's letters and blanks");
  check(rack.tiles() == segment.size(), "tiles() is not the segment's length");
  check(rack.tiles() <= limits.max_tiles && rack.blanks <= limits.max_blanks,
        "a rack over its limits was accepted");
  const std::string key = rack.key();
  check(key.size() == rack.tiles(), "the key's length is not the number of tiles");
  for (std::size_t i = 1; i < key.size(); ++i) {
    check(key[i - 1] <= key[i] || key[i] == '_', "the key's letters are not sorted");
    check(!(key[i - 1] == '_' && key[i] != '_'), "a letter after a blank in the key");
  }
  const auto again = parse_rack(key, limits);
  check(again.rack && *again.rack == rack, "parse_rack does not read the key back as the rack");
  check(again.rack->key() == key, "the key of the key's rack differs");
}

}  // namespace

void rack(std::string_view input) {
  check_one(input, RackLimits{});
  if (input.size() >= 2) {
    // Limits around the ones a listener accepts (max_letters 1-64), and beyond them.
    const RackLimits limits{static_cast<std::uint32_t>(static_cast<unsigned char>(input[0]) % 80),
                            static_cast<std::uint32_t>(static_cast<unsigned char>(input[1]) % 8)};
    check_one(input.substr(2), limits);
  }
}

}  // namespace netsvcd::fuzz
