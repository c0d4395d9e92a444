#include "wordfinder/rack.hpp"

#include <cstdio>

namespace netsvcd::wordfinder {
namespace {

ParsedRack failure(RackError error, std::string message) {
  return ParsedRack{std::nullopt, error, std::move(message)};
}

// 'x' for a printable ASCII character, else its byte value: "byte 0xC3", so that a message never
// carries control characters or half a UTF-8 sequence.
std::string describe_character(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x20 && byte < 0x7f) return std::string("'") + c + "'";
  char text[16];
  std::snprintf(text, sizeof text, "byte 0x%02X", static_cast<unsigned>(byte));
  return text;
}

}  // namespace

std::uint32_t Rack::letters() const {
  std::uint32_t total = 0;
  for (const auto count : counts)
    total += count;
  return total;
}

std::string Rack::key() const {
  std::string key;
  key.reserve(tiles());
  for (std::size_t letter = 0; letter < counts.size(); ++letter) {
    key.append(counts[letter], static_cast<char>('a' + letter));
  }
  key.append(blanks, '_');
  return key;
}

ParsedRack parse_rack(std::string_view segment, const RackLimits& limits) {
  if (segment.empty()) return failure(RackError::kEmpty, "empty rack: give one or more letters");

  Rack rack;
  for (std::size_t i = 0; i < segment.size(); ++i) {
    const char c = segment[i];
    if (c >= 'a' && c <= 'z') {
      ++rack.counts[static_cast<std::size_t>(c - 'a')];
    } else if (c >= 'A' && c <= 'Z') {
      ++rack.counts[static_cast<std::size_t>(c - 'A')];
    } else if (c == '_') {
      ++rack.blanks;
    } else {
      return failure(RackError::kBadCharacter,
                     "bad character " + describe_character(c) + " at position " +
                         std::to_string(i + 1) + " of the rack: only letters a-z and _ (a blank)");
    }
  }
  if (rack.tiles() > limits.max_tiles) {
    return failure(RackError::kTooManyTiles, "too many tiles: " + std::to_string(rack.tiles()) +
                                                 " (at most " + std::to_string(limits.max_tiles) +
                                                 ", blanks included)");
  }
  if (rack.blanks > limits.max_blanks) {
    return failure(RackError::kTooManyBlanks, "too many blanks: " + std::to_string(rack.blanks) +
                                                  " (at most " + std::to_string(limits.max_blanks) +
                                                  ")");
  }
  return ParsedRack{rack, RackError::kNone, {}};
}

}  // namespace netsvcd::wordfinder
