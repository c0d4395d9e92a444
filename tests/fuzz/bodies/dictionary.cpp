// The dictionary loader: WordIndex::load_text against a model of the rules word_index.hpp
// documents (lines, trimmed ends, capitals folded, mixed case, bad characters and long lines
// skipped, duplicates counted), then searches against a brute-force scan of the index.
#include <algorithm>
#include <array>
#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "fuzz_targets.hpp"
#include "wordfinder/word_index.hpp"

namespace netsvcd::fuzz {
namespace {

using wordfinder::DictionaryStats;
using wordfinder::kMaxWordLength;
using wordfinder::Rack;
using wordfinder::WordIndex;

// The words and counts the documented rules give for `text`.
struct Model {
  std::set<std::string> words;
  DictionaryStats stats;
};

Model model_of(std::string_view text) {
  Model model;
  std::size_t usable = 0;
  while (!text.empty()) {
    const auto newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    while (!line.empty() && std::string_view("\r \t\v\f").find(line.back()) != std::string::npos)
      line.remove_suffix(1);
    ++model.stats.lines;
    if (line.empty()) {
      ++model.stats.blank_lines;
      continue;
    }
    if (line.size() > kMaxWordLength) {
      ++model.stats.skipped_too_long;
      continue;
    }
    const bool all_lower = std::ranges::all_of(line, [](char c) { return c >= 'a' && c <= 'z'; });
    const bool all_upper = std::ranges::all_of(line, [](char c) { return c >= 'A' && c <= 'Z'; });
    const bool letters = std::ranges::all_of(
        line, [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); });
    if (!letters) {
      ++model.stats.skipped_bad_character;
    } else if (!all_lower && !all_upper) {
      ++model.stats.skipped_mixed_case;
    } else {
      std::string word(line);
      for (char& c : word)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      model.words.insert(std::move(word));
      ++usable;
    }
  }
  model.stats.words = model.words.size();
  model.stats.duplicates = usable - model.words.size();
  return model;
}

Rack rack_of(std::string_view word) {
  Rack rack;
  for (const char c : word)
    ++rack.counts[static_cast<std::size_t>(c - 'a')];
  return rack;
}

// Whether `rack` spells `word`, each tile once, a blank for any letter.
bool spells(const Rack& rack, std::string_view word) {
  std::array<std::uint32_t, 26> needed{};
  for (const char c : word)
    ++needed[static_cast<std::size_t>(c - 'a')];
  std::uint32_t short_by = 0;
  for (std::size_t i = 0; i < needed.size(); ++i)
    if (needed[i] > rack.counts[i]) short_by += needed[i] - rack.counts[i];
  return short_by <= rack.blanks;
}

// search() against a scan of every word of the index: the same words, in the documented order.
void check_search(const WordIndex& index, const Rack& rack, std::size_t min_length) {
  const auto found = index.search(rack, min_length);
  std::vector<std::string_view> expected;
  for (std::size_t i = 0; i < index.size(); ++i) {
    const auto word = index.word(i);
    if (word.size() >= min_length && spells(rack, word)) expected.push_back(word);
  }
  std::ranges::stable_sort(expected, [](std::string_view a, std::string_view b) {
    return a.size() > b.size();  // longest first; the index is alphabetical already
  });
  check(found == expected, "search(\"" + rack.key() + "\", " + std::to_string(min_length) +
                               ") differs from a scan of the index");
}

}  // namespace

void dictionary(std::string_view input) {
  const auto loaded = WordIndex::load_text(input, "fuzz.words");
  const Model model = model_of(input);
  check(static_cast<bool>(loaded.index) == loaded.error.empty(),
        "an index is set exactly when there is no error");
  if (!loaded.index) {
    check(model.words.empty(), "a dictionary with usable words refused: " + loaded.error);
    check(loaded.error.starts_with("no usable word in fuzz.words: "),
          "an unexpected error: " + loaded.error);
    return;
  }
  const WordIndex& index = *loaded.index;
  check(index.stats() == model.stats, "the loader's counts differ from the documented rules");
  check(index.size() == model.words.size(), "the index has not the model's number of words");
  std::size_t i = 0;
  for (const auto& word : model.words) {
    check(index.word(i) == word, "word " + std::to_string(i) + " is not the model's");
    ++i;
  }
  // Every word is found from its own letters (and again with one of them a blank), in an
  // answer that is exactly what a scan finds; a few words, to stay fast on long lists.
  const std::size_t step = std::max<std::size_t>(1, index.size() / 8);
  for (std::size_t w = 0; w < index.size(); w += step) {
    const auto word = index.word(w);
    Rack rack = rack_of(word);
    const auto found = index.search(rack, 1);
    check(std::ranges::find(found, word) != found.end(),
          "\"" + std::string(word) + "\" is not found from its own letters");
    check_search(index, rack, 1);
    check_search(index, rack, word.size());
    --rack.counts[static_cast<std::size_t>(word[0] - 'a')];
    rack.blanks = 1;
    check_search(index, rack, 2);
  }
  // A rack from the input's letters, with two blanks.
  Rack rack;
  rack.blanks = 2;
  for (const char c : input.substr(0, 12))
    if (c >= 'a' && c <= 'z') ++rack.counts[static_cast<std::size_t>(c - 'a')];
  check_search(index, rack, 2);
}

}  // namespace netsvcd::fuzz
