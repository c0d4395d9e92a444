// WordIndex: an immutable dictionary of lower-case words a-z and a trie over them, answering
// "which words can these tiles spell?" without scanning the dictionary. Built once from a file
// (or text, for tests) and shared read-only, as shared_ptr<const WordIndex>, by every thread
// without locks; a reload builds a new one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "wordfinder/rack.hpp"

namespace netsvcd::wordfinder {

inline constexpr std::string_view kDefaultDictionary = "/usr/share/dict/words";

// Longer lines are skipped: no rack a listener accepts could spell them.
inline constexpr std::size_t kMaxWordLength = 64;

// What loading a dictionary found, line by line. Blank lines (empty once the line end is
// trimmed) are tolerated and counted apart; every other line is a word, a duplicate or skipped.
struct DictionaryStats {
  std::size_t lines = 0;  // every line, blank ones included
  std::size_t blank_lines = 0;
  std::size_t words = 0;       // distinct words in the index
  std::size_t duplicates = 0;  // usable lines repeating a word already loaded ("AA" after "aa")
  std::size_t skipped_mixed_case = 0;     // "Aaron": a proper noun
  std::size_t skipped_bad_character = 0;  // anything but A-Z and a-z: "it's", "r2d2", "café"
  std::size_t skipped_too_long = 0;       // more than kMaxWordLength letters

  std::size_t skipped() const {
    return skipped_mixed_case + skipped_bad_character + skipped_too_long;
  }
  bool operator==(const DictionaryStats&) const = default;
};

class WordIndex;

struct LoadedIndex {
  std::shared_ptr<const WordIndex> index;  // set exactly when error is empty
  std::string error;                       // "cannot read /x/words: No such file or directory"
};

class WordIndex {
 public:
  // Reads the dictionary at `path`: one word a line; CRLF, trailing blanks, blank lines and
  // duplicates tolerated. A line all in capitals is folded to lower case ("AA" is "aa"); a line
  // mixing cases ("Aaron"), with any character but A-Z and a-z, or longer than kMaxWordLength is
  // skipped. An unreadable file, or one without a single usable word, is an error naming `path`.
  static LoadedIndex load_file(const std::filesystem::path& path);

  // The same from the contents of a dictionary; `name` stands for the file in error messages.
  static LoadedIndex load_text(std::string_view text, std::string_view name);

  // Every word of at least `min_length` letters that the rack spells, each tile used at most
  // once and a blank standing for any letter; each word once, longest first, then alphabetical.
  // The views point into this index and live as long as it does.
  std::vector<std::string_view> search(const Rack& rack, std::size_t min_length) const;

  // The words in alphabetical order.
  std::size_t size() const { return offsets_.size() - 1; }
  std::string_view word(std::size_t i) const {
    return std::string_view(text_).substr(offsets_[i], offsets_[i + 1] - offsets_[i]);
  }

  const DictionaryStats& stats() const { return stats_; }
  // The memory the index holds: its words, their offsets and the trie.
  std::size_t bytes() const {
    return text_.capacity() + offsets_.capacity() * sizeof(offsets_[0]) +
           nodes_.capacity() * sizeof(nodes_[0]);
  }

 private:
  // A trie node. The children of a node are contiguous in nodes_, in letter order: the child for
  // letter c is first_child + (how many letters below c are in child_mask).
  struct Node {
    static constexpr std::uint32_t kNoWord = UINT32_MAX;
    std::uint32_t child_mask = 0;  // bit c set: a child for letter 'a' + c
    std::uint32_t first_child = 0;
    std::uint32_t word = kNoWord;  // the index of the word this prefix spells, or kNoWord
  };
  struct Walk;  // the state of one search

  // `words`: the usable lines of a dictionary, in lower case, in any order, duplicates included.
  WordIndex(std::vector<std::string_view> words, const DictionaryStats& stats);
  static LoadedIndex build(std::string text, std::string_view name);
  void build_trie(std::vector<std::string_view>& words);
  void walk(std::uint32_t node, Walk& state) const;

  std::string text_;                    // the words one after another, alphabetical
  std::vector<std::uint32_t> offsets_;  // word i is text_[offsets_[i], offsets_[i + 1])
  std::vector<Node> nodes_;             // the trie; nodes_[0] is the root (the empty prefix)
  DictionaryStats stats_;
};

}  // namespace netsvcd::wordfinder
