#include "wordfinder/word_index.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstring>

#include "unique_fd.hpp"

namespace netsvcd::wordfinder {
namespace {

// Far beyond any word list (the largest packaged one is 6 MB) and far below the 4 GiB that the
// 32-bit offsets of the index can address.
constexpr std::size_t kMaxDictionaryBytes = 256 << 20;

LoadedIndex failure(std::string message) {
  return LoadedIndex{nullptr, std::move(message)};
}

// The whole file in one string, or false with `error` set to the reason (strerror).
bool read_whole_file(const std::filesystem::path& path, std::string& text, std::string& error) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat info {};
  if (fd.get() < 0 || ::fstat(fd.get(), &info) != 0) {
    error = std::strerror(errno);
    return false;
  }
  // st_size is only a hint (0 for /proc files and pipes): read until end of file.
  text.resize(std::clamp<std::size_t>(static_cast<std::size_t>(info.st_size) + 1, 4096,
                                      kMaxDictionaryBytes + 1));
  std::size_t used = 0;
  for (;;) {
    if (used == text.size()) {
      if (text.size() > kMaxDictionaryBytes) {
        error = "larger than " + std::to_string(kMaxDictionaryBytes >> 20) + " MiB";
        return false;
      }
      text.resize(std::min(text.size() * 2, kMaxDictionaryBytes + 1));
    }
    const ssize_t n = ::read(fd.get(), text.data() + used, text.size() - used);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      error = std::strerror(errno);
      return false;
    }
    used += static_cast<std::size_t>(n);
  }
  text.resize(used);
  return true;
}

bool is_line_end_space(char c) {
  return c == '\r' || c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

enum class LineKind { kBlank, kTooLong, kBadCharacter, kMixedCase, kCapitals, kLowerCase };

// What a line is, its end already trimmed.
LineKind classify(std::string_view line) {
  if (line.empty()) return LineKind::kBlank;
  if (line.size() > kMaxWordLength) return LineKind::kTooLong;
  std::size_t upper = 0;
  std::size_t lower = 0;
  for (const char c : line) {
    if (c >= 'a' && c <= 'z') {
      ++lower;
    } else if (c >= 'A' && c <= 'Z') {
      ++upper;
    } else {
      return LineKind::kBadCharacter;
    }
  }
  if (upper != 0 && lower != 0) return LineKind::kMixedCase;
  return upper != 0 ? LineKind::kCapitals : LineKind::kLowerCase;
}

// Splits `text` into lines and keeps the usable ones, folded to lower case in place; counts the
// rest in `stats`.
std::vector<std::string_view> usable_lines(std::string& text, DictionaryStats& stats) {
  std::vector<std::string_view> words;
  words.reserve(text.size() / 8);
  char* line = text.data();
  char* const end = text.data() + text.size();
  while (line < end) {
    char* newline =
        static_cast<char*>(std::memchr(line, '\n', static_cast<std::size_t>(end - line)));
    char* const next = newline ? newline + 1 : end;
    char* line_end = newline ? newline : end;
    while (line_end > line && is_line_end_space(line_end[-1]))
      --line_end;
    const auto length = static_cast<std::size_t>(line_end - line);

    ++stats.lines;
    switch (classify(std::string_view(line, length))) {
      case LineKind::kBlank:
        ++stats.blank_lines;
        break;
      case LineKind::kTooLong:
        ++stats.skipped_too_long;
        break;
      case LineKind::kBadCharacter:
        ++stats.skipped_bad_character;
        break;
      case LineKind::kMixedCase:
        ++stats.skipped_mixed_case;
        break;
      case LineKind::kCapitals:
        for (char* c = line; c < line_end; ++c)
          *c = static_cast<char>(*c - 'A' + 'a');
        words.emplace_back(line, length);
        break;
      case LineKind::kLowerCase:
        words.emplace_back(line, length);
        break;
    }
    line = next;
  }
  return words;
}

}  // namespace

struct WordIndex::Walk {
  std::array<std::uint32_t, 26> counts{};  // letter tiles left
  std::uint32_t available = 0;             // bit c set: counts[c] > 0
  std::uint32_t blanks = 0;                // blank tiles left
  std::size_t tiles = 0;                   // tiles left, blanks included
  std::size_t depth = 0;                   // letters in the prefix at the current node
  std::size_t min_length = 0;
  std::vector<std::uint32_t> found;  // word indices, alphabetical (the walk's order)
  std::array<std::size_t, kMaxWordLength + 1> found_by_length{};
};

LoadedIndex WordIndex::load_file(const std::filesystem::path& path) {
  std::string text;
  std::string error;
  if (!read_whole_file(path, text, error))
    return failure("cannot read " + path.string() + ": " + error);
  return build(std::move(text), path.string());
}

LoadedIndex WordIndex::load_text(std::string_view text, std::string_view name) {
  if (text.size() > kMaxDictionaryBytes) {
    return failure("cannot read " + std::string(name) + ": larger than " +
                   std::to_string(kMaxDictionaryBytes >> 20) + " MiB");
  }
  return build(std::string(text), name);
}

LoadedIndex WordIndex::build(std::string text, std::string_view name) {
  DictionaryStats stats;
  std::vector<std::string_view> words = usable_lines(text, stats);
  if (words.empty()) {
    return failure("no usable word in " + std::string(name) + ": " + std::to_string(stats.lines) +
                   " lines, " + std::to_string(stats.blank_lines) + " blank, " +
                   std::to_string(stats.skipped()) +
                   " skipped (a word is a line of letters a-z, or all capitals A-Z)");
  }
  return LoadedIndex{std::shared_ptr<const WordIndex>(new WordIndex(std::move(words), stats)), {}};
}

WordIndex::WordIndex(std::vector<std::string_view> words, const DictionaryStats& stats)
    : stats_(stats) {
  std::size_t letters = 0;
  for (const auto word : words)
    letters += word.size();
  text_.reserve(letters);
  offsets_.reserve(words.size() + 1);
  offsets_.push_back(0);
  build_trie(words);
  text_.shrink_to_fit();
  offsets_.shrink_to_fit();
  stats_.words = size();
  stats_.duplicates = words.size() - size();
}

// Depth first over ranges of the words that share a prefix, sorting each range by the letter
// after the prefix (an MSD radix sort: no comparison of whole words, which on a shuffled list of
// 700k words cost more than a second in cache misses). A node's children are allocated together
// and a subtree lies close to its root. The walk is in preorder, which is alphabetical order:
// each word is appended to text_ as its node is reached, and duplicates meet there.
void WordIndex::build_trie(std::vector<std::string_view>& words) {
  struct Pending {
    std::uint32_t node;
    std::uint32_t first_word;  // the words [first_word, end_word) start with the node's prefix
    std::uint32_t end_word;
    std::uint32_t depth;  // the prefix's length
  };
  std::vector<Pending> stack;
  std::vector<std::string_view> scratch(words.size());
  std::array<std::uint32_t, 27> counts;  // how many words in each bucket (bucket_of)
  std::array<std::uint32_t, 27> next;    // where a bucket's next word goes in scratch
  std::array<Pending, 26> children;
  // Bucket 0: the words that are the prefix itself; bucket 1 + c: those going on with 'a' + c.
  const auto bucket_of = [](std::string_view word, std::size_t depth) {
    return word.size() == depth ? 0 : static_cast<std::size_t>(word[depth] - 'a') + 1;
  };
  const auto add_word = [&](std::uint32_t node, std::string_view word) {
    nodes_[node].word = static_cast<std::uint32_t>(size());
    text_.append(word);
    offsets_.push_back(static_cast<std::uint32_t>(text_.size()));
  };

  nodes_.emplace_back();
  stack.push_back(Pending{0, 0, static_cast<std::uint32_t>(words.size()), 0});
  while (!stack.empty()) {
    auto [node, first, end, depth] = stack.back();
    stack.pop_back();

    if (end - first == 1) {  // one word below: a chain of nodes, one a letter left
      const std::string_view word = words[first];
      for (; depth < word.size(); ++depth) {
        const auto child = static_cast<std::uint32_t>(nodes_.size());
        nodes_[node].child_mask = 1u << (word[depth] - 'a');
        nodes_[node].first_child = child;
        nodes_.emplace_back();
        node = child;
      }
      add_word(node, word);
      continue;
    }

    counts.fill(0);
    for (auto i = first; i < end; ++i)
      ++counts[bucket_of(words[i], depth)];
    if (std::find(counts.begin(), counts.end(), end - first) == counts.end()) {
      for (std::size_t b = 0, position = first; b < counts.size(); position += counts[b++]) {
        next[b] = static_cast<std::uint32_t>(position);
      }
      for (auto i = first; i < end; ++i)
        scratch[next[bucket_of(words[i], depth)]++] = words[i];
      std::copy(scratch.begin() + first, scratch.begin() + end, words.begin() + first);
    }

    if (counts[0] != 0) add_word(node, words[first]);  // the prefix is a word, counts[0] times
    const auto first_child = static_cast<std::uint32_t>(nodes_.size());
    std::uint32_t mask = 0;
    std::uint32_t child = first_child;
    for (std::uint32_t letter = 0, position = first + counts[0]; letter < 26; ++letter) {
      const std::uint32_t count = counts[letter + 1];
      if (count == 0) continue;
      mask |= 1u << letter;
      children[child - first_child] = Pending{child, position, position + count, depth + 1};
      ++child;
      position += count;
    }
    nodes_[node].child_mask = mask;
    nodes_[node].first_child = first_child;
    nodes_.resize(child);
    for (auto k = child - first_child; k-- > 0;)
      stack.push_back(children[k]);
  }
  nodes_.shrink_to_fit();
}

std::vector<std::string_view> WordIndex::search(const Rack& rack, std::size_t min_length) const {
  Walk state;
  state.counts = rack.counts;
  for (std::size_t c = 0; c < state.counts.size(); ++c) {
    if (state.counts[c] != 0) state.available |= 1u << c;
  }
  state.blanks = rack.blanks;
  state.tiles = rack.tiles();
  state.min_length = min_length;
  walk(0, state);

  // The walk found the words alphabetically; placing them by length, longest first, keeps that
  // order within each length (a counting sort).
  std::array<std::size_t, kMaxWordLength + 1> next{};  // where the next word of each length goes
  for (std::size_t length = kMaxWordLength, position = 0; length > 0; --length) {
    next[length] = position;
    position += state.found_by_length[length];
  }
  std::vector<std::string_view> words(state.found.size());
  for (const auto i : state.found) {
    const std::string_view found = word(i);
    words[next[found.size()]++] = found;
  }
  return words;
}

// Visits every node whose prefix the tiles left can spell. A blank is spent on a letter only when
// no tile of that letter is left: a rack that spells a word with a blank in place of a letter it
// holds also spells it with that letter, so each prefix is reached once, by one path.
void WordIndex::walk(std::uint32_t node_index, Walk& state) const {
  // No word below this node can reach min_length with the tiles left.
  if (state.depth + state.tiles < state.min_length) return;
  const Node& node = nodes_[node_index];
  if (node.word != Node::kNoWord && state.depth >= state.min_length) {
    state.found.push_back(node.word);
    ++state.found_by_length[state.depth];
  }

  const std::uint32_t letters =
      state.blanks != 0 ? node.child_mask : node.child_mask & state.available;
  if (letters == 0) return;
  ++state.depth;
  --state.tiles;
  // Children in letter order, counted along rather than found with a popcount (a library call
  // on baseline x86-64).
  std::uint32_t child = node.first_child;
  for (std::uint32_t rest = node.child_mask; rest != 0; rest &= rest - 1, ++child) {
    const std::uint32_t bit = rest & (~rest + 1);  // the lowest letter left
    if ((letters & bit) == 0) continue;
    if (state.available & bit) {
      const auto letter = static_cast<std::size_t>(std::countr_zero(bit));
      if (--state.counts[letter] == 0) state.available &= ~bit;
      walk(child, state);
      if (state.counts[letter]++ == 0) state.available |= bit;
    } else {
      --state.blanks;
      walk(child, state);
      ++state.blanks;
    }
  }
  ++state.tiles;
  --state.depth;
}

}  // namespace netsvcd::wordfinder
