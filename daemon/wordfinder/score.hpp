// Scrabble scores: the standard English tile values, and what a word spelled from a rack is
// worth with its blanks (worth 0) standing for the letters the rack lacks. Pure functions on
// plain values, safe from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "wordfinder/rack.hpp"

namespace netsvcd::wordfinder {

// a1 b3 c3 d2 e1 f4 g2 h4 i1 j8 k5 l1 m3 n1 o1 p3 q10 r1 s1 t1 u1 v4 w4 x8 y4 z10; no board
// bonuses, so a word's score is the sum of its tiles.
inline constexpr std::array<std::uint8_t, 26> kTileValues = {
    1, 3, 3, 2, 1, 4, 2, 4, 1, 8, 5, 1, 3, 1, 1, 3, 10, 1, 1, 1, 1, 4, 4, 8, 4, 10};

constexpr unsigned tile_value(char letter) {
  return kTileValues[static_cast<unsigned char>(letter - 'a')];
}

struct WordScore {
  unsigned score = 0;
  std::string blanks;  // the letters the blanks stood for, sorted: "" when none did

  bool operator==(const WordScore&) const = default;
};

// What `word` (lower-case a-z, one the rack spells) is worth from `rack`. A letter tile is
// never swapped for a blank: a blank is worth nothing, so the highest score the rack allows
// covers with blanks exactly the letters the rack lacks, and no choice is left to make.
WordScore score_word(std::string_view word, const Rack& rack);

}  // namespace netsvcd::wordfinder
