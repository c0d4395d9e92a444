#include "wordfinder/score.hpp"

#include <algorithm>

namespace netsvcd::wordfinder {

WordScore score_word(std::string_view word, const Rack& rack) {
  std::array<std::uint32_t, 26> left = rack.counts;
  WordScore result;
  for (const char letter : word) {
    auto& tiles = left[static_cast<unsigned char>(letter - 'a')];
    if (tiles > 0) {
      --tiles;
      result.score += tile_value(letter);
    } else {
      result.blanks += letter;
    }
  }
  std::sort(result.blanks.begin(), result.blanks.end());
  return result;
}

}  // namespace netsvcd::wordfinder
