// Unit tests for daemon/wordfinder/rack.*: racks parsed from a URL path segment, their limits,
// errors and normalised keys.
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "wordfinder/rack.hpp"

namespace {

using netsvcd::wordfinder::parse_rack;
using netsvcd::wordfinder::ParsedRack;
using netsvcd::wordfinder::RackError;
using netsvcd::wordfinder::RackLimits;

constexpr RackLimits kLimits{.max_tiles = 7, .max_blanks = 2};

// The normalised key of a rack that must parse.
std::string key_of(std::string_view segment, const RackLimits& limits = kLimits) {
  const ParsedRack parsed = parse_rack(segment, limits);
  INFO(segment << ": " << parsed.message);
  REQUIRE(parsed.error == RackError::kNone);
  REQUIRE(parsed.rack.has_value());
  CHECK(parsed.message.empty());
  return parsed.rack->key();
}

TEST_CASE("rack: letters are counted and blanks are underscores", "[rack]") {
  const ParsedRack parsed = parse_rack("xlera_r", kLimits);
  REQUIRE(parsed.rack.has_value());
  const auto& rack = *parsed.rack;
  CHECK(rack.counts[0] == 1);   // a
  CHECK(rack.counts[4] == 1);   // e
  CHECK(rack.counts[11] == 1);  // l
  CHECK(rack.counts[17] == 2);  // r
  CHECK(rack.counts[23] == 1);  // x
  CHECK(rack.blanks == 1);
  CHECK(rack.letters() == 6);
  CHECK(rack.tiles() == 7);
}

TEST_CASE("rack: the key is the sorted letters then the blanks", "[rack]") {
  CHECK(key_of("relax__") == "aelrx__");
  CHECK(key_of("_x_lera") == "aelrx__");
  CHECK(key_of("zyxwvut") == "tuvwxyz");
  CHECK(key_of("a") == "a");
  CHECK(key_of("_") == "_");
  CHECK(key_of("__") == "__");
  CHECK(key_of("bab") == "abb");
}

TEST_CASE("rack: upper case is folded", "[rack]") {
  CHECK(key_of("RELAX") == "aelrx");
  CHECK(key_of("ReLaX_") == "aelrx_");
  CHECK(parse_rack("AXLE", kLimits).rack == parse_rack("axle", kLimits).rack);
}

TEST_CASE("rack: the key parses back as the same rack", "[rack]") {
  for (const char* segment : {"relax__", "QUIZ_", "zzz", "_a_"}) {
    const auto rack = parse_rack(segment, kLimits).rack;
    REQUIRE(rack.has_value());
    CHECK(parse_rack(rack->key(), kLimits).rack == rack);
  }
}

TEST_CASE("rack: an empty segment is an error", "[rack]") {
  const ParsedRack parsed = parse_rack("", kLimits);
  CHECK_FALSE(parsed.rack.has_value());
  CHECK(parsed.error == RackError::kEmpty);
  CHECK(parsed.message == "empty rack: give one or more letters");
}

TEST_CASE("rack: a character other than a letter or underscore is named with its position",
          "[rack]") {
  const auto message = [](std::string_view segment) {
    const ParsedRack parsed = parse_rack(segment, kLimits);
    CHECK_FALSE(parsed.rack.has_value());
    CHECK(parsed.error == RackError::kBadCharacter);
    return parsed.message;
  };
  CHECK(message("abc1") ==
        "bad character '1' at position 4 of the rack: only letters a-z and _ (a blank)");
  // The same words for every bad character but its name and position.
  const auto bad = [](std::string_view name, int position) {
    return "bad character " + std::string(name) + " at position " + std::to_string(position) +
           " of the rack: only letters a-z and _ (a blank)";
  };
  CHECK(message("a b") == bad("' '", 2));
  CHECK(message("?") == bad("'?'", 1));
  CHECK(message("ab\"") == bad("'\"'", 3));
  CHECK(message("ab-") == bad("'-'", 3));
  CHECK(message("%41") == bad("'%'", 1));
  // Bytes that are not printable ASCII are named by value: no control character or half a
  // UTF-8 sequence reaches the message.
  CHECK(message("\xC3\xA9t\xC3\xA9") == bad("byte 0xC3", 1));
  CHECK(message(std::string_view("a\0b", 3)) == bad("byte 0x00", 2));
  CHECK(message("ab\x7f") == bad("byte 0x7F", 3));
}

TEST_CASE("rack: more tiles than max_tiles is an error and blanks count as tiles", "[rack]") {
  CHECK(key_of("abcdefg") == "abcdefg");
  CHECK(key_of("abcde__") == "abcde__");

  ParsedRack parsed = parse_rack("abcdefgh", kLimits);
  CHECK_FALSE(parsed.rack.has_value());
  CHECK(parsed.error == RackError::kTooManyTiles);
  CHECK(parsed.message == "too many tiles: 8 (at most 7, blanks included)");

  parsed = parse_rack("abcdef__", kLimits);
  CHECK(parsed.error == RackError::kTooManyTiles);
  CHECK(parsed.message == "too many tiles: 8 (at most 7, blanks included)");

  parsed = parse_rack(std::string(5000, 'a'), RackLimits{});
  CHECK(parsed.error == RackError::kTooManyTiles);
  CHECK(parsed.message == "too many tiles: 5000 (at most 20, blanks included)");
}

TEST_CASE("rack: more blanks than max_blanks is an error", "[rack]") {
  CHECK(key_of("ab__") == "ab__");
  const ParsedRack parsed = parse_rack("ab___", kLimits);
  CHECK_FALSE(parsed.rack.has_value());
  CHECK(parsed.error == RackError::kTooManyBlanks);
  CHECK(parsed.message == "too many blanks: 3 (at most 2)");

  CHECK(parse_rack("a_", RackLimits{.max_tiles = 7, .max_blanks = 0}).message ==
        "too many blanks: 1 (at most 0)");
}

TEST_CASE("rack: errors are reported in a fixed order", "[rack]") {
  // A bad character wins over length and blanks; length wins over blanks.
  CHECK(parse_rack("________1", kLimits).error == RackError::kBadCharacter);
  CHECK(parse_rack("________", kLimits).error == RackError::kTooManyTiles);
  CHECK(parse_rack("a___", kLimits).error == RackError::kTooManyBlanks);
}

TEST_CASE("rack: the default limits are the config's defaults", "[rack]") {
  const RackLimits limits;
  CHECK(limits.max_tiles == 20);
  CHECK(limits.max_blanks == 2);
  CHECK(parse_rack(std::string(18, 'e') + "__", limits).rack.has_value());
  CHECK(parse_rack(std::string(21, 'e'), limits).error == RackError::kTooManyTiles);
}

}  // namespace
