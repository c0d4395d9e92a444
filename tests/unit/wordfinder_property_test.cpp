// Property test for daemon/wordfinder/word_index.*: on the full default dictionary, the index
// answers random racks exactly as a brute-force scan does. The scan reads the dictionary with
// its own code, so the loader is checked against it too. Needs /usr/share/dict/words (Debian
// package wamerican): without it the test fails rather than passing unnoticed.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "wordfinder/rack.hpp"
#include "wordfinder/word_index.hpp"

namespace {

using netsvcd::wordfinder::kDefaultDictionary;
using netsvcd::wordfinder::parse_rack;
using netsvcd::wordfinder::RackLimits;
using netsvcd::wordfinder::WordIndex;
using Words = std::vector<std::string>;

// The dictionary's words by CLARIFICATIONS 3, read the plain way: sorted and distinct.
Words read_dictionary(const std::string& path) {
  std::ifstream in(path);
  std::set<std::string> words;
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back())))
      line.pop_back();
    const bool lower =
        std::all_of(line.begin(), line.end(), [](char c) { return c >= 'a' && c <= 'z'; });
    const bool upper =
        std::all_of(line.begin(), line.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
    if (line.empty() || line.size() > 64 || !(lower || upper)) continue;
    std::transform(line.begin(), line.end(), line.begin(), [](char c) { return c | 0x20; });
    words.insert(line);
  }
  return Words(words.begin(), words.end());
}

// A brute-force answer: a word is spelt when, walking its sorted letters beside the rack's sorted
// letters, the letters the rack lacks are no more than its blanks.
Words scan(const Words& dictionary, const Words& sorted_letters, std::string_view rack_letters,
           std::size_t blanks, std::size_t min_length) {
  Words found;
  for (std::size_t i = 0; i < dictionary.size(); ++i) {
    const std::string& letters = sorted_letters[i];
    if (letters.size() < min_length || letters.size() > rack_letters.size() + blanks) continue;
    std::size_t lacking = 0;
    std::size_t r = 0;
    for (const char c : letters) {
      while (r < rack_letters.size() && rack_letters[r] < c)
        ++r;
      if (r < rack_letters.size() && rack_letters[r] == c) {
        ++r;
      } else {
        ++lacking;
      }
    }
    if (lacking <= blanks) found.push_back(dictionary[i]);
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.size() > b.size(); });
  return found;
}

TEST_CASE("word index property: random racks on the default dictionary match a brute-force scan",
          "[word_index][property]") {
  const std::string path(kDefaultDictionary);
  if (!std::filesystem::exists(path)) {
    FAIL(path << " is missing: install the Debian package wamerican (make deps does)");
  }
  const auto loaded = WordIndex::load_file(path);
  INFO(loaded.error);
  REQUIRE(loaded.index);
  const WordIndex& index = *loaded.index;

  const Words dictionary = read_dictionary(path);
  REQUIRE(dictionary.size() > 50'000);
  Words indexed;
  for (std::size_t i = 0; i < index.size(); ++i)
    indexed.emplace_back(index.word(i));
  REQUIRE(indexed == dictionary);
  CHECK(index.stats().words == dictionary.size());

  Words sorted_letters = dictionary;
  for (auto& letters : sorted_letters)
    std::sort(letters.begin(), letters.end());

  // Letters drawn as from a Scrabble bag, so that racks spell words; a fixed seed, so that a
  // failure comes back on every run.
  constexpr std::string_view kBag =
      "aaaaaaaaabbccddddeeeeeeeeeeeeffggghhiiiiiiiiijkllllmmnnnnnnooooooooppqrrrrrrssssttttttuuuu"
      "vvwwxyyz";
  std::mt19937 random(20261122);
  for (int round = 0; round < 300; ++round) {
    std::string rack_letters(1 + random() % 12, ' ');
    for (auto& c : rack_letters)
      c = kBag[random() % kBag.size()];
    const std::size_t blanks = random() % 3;
    const std::size_t min_length = 1 + random() % 4;
    const std::string segment = rack_letters + std::string(blanks, '_');
    std::sort(rack_letters.begin(), rack_letters.end());

    const auto rack = parse_rack(segment, RackLimits{});
    REQUIRE(rack.rack);
    const auto found = index.search(*rack.rack, min_length);
    INFO("rack " << segment << ", min_length " << min_length);
    CHECK(Words(found.begin(), found.end()) ==
          scan(dictionary, sorted_letters, rack_letters, blanks, min_length));
  }
}

}  // namespace
