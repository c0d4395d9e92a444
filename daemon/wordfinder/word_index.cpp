#include "wordfinder/word_index.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstring>

namespace netsvcd::wordfinder {
namespace {

// Far beyond any word list (the largest packaged one is 6 MB) and far below the 4 GiB that the
// 32-bit offsets of the index can address.
constexpr std::size_t kMaxDictionaryBytes = 256 << 20;

LoadedIndex failure(std::string message) {
  return LoadedIndex{nullptr, std::move(message)};
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// The whole file in one string, or false with `error` set to the reason (strerror).
bool read_whole_file(const std::filesystem::path& path, std::string& text, std::string& error) {
  const FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
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
  std::sort(words.begin(), words.end());
  const auto distinct_end = std::unique(words.begin(), words.end());
  stats.duplicates = static_cast<std::size_t>(words.end() - distinct_end);
  words.erase(distinct_end, words.end());
  stats.words = words.size();
  if (words.empty()) {
    return failure("no usable word in " + std::string(name) + ": " + std::to_string(stats.lines) +
                   " lines, " + std::to_string(stats.blank_lines) + " blank, " +
                   std::to_string(stats.skipped()) +
                   " skipped (a word is a line of letters a-z, or all capitals A-Z)");
  }
  return LoadedIndex{std::shared_ptr<const WordIndex>(new WordIndex(words, stats)), {}};
}

WordIndex::WordIndex(const std::vector<std::string_view>& words, const DictionaryStats& stats)
    : stats_(stats) {
  std::size_t total = 0;
  for (const auto word : words)
    total += word.size();
  text_.reserve(total);
  offsets_.reserve(words.size() + 1);
  for (const auto word : words) {
    offsets_.push_back(static_cast<std::uint32_t>(text_.size()));
    text_.append(word);
  }
  offsets_.push_back(static_cast<std::uint32_t>(text_.size()));
  build_trie();
}

// Depth first over ranges of the sorted words that share a prefix, so that a node's children
// are allocated together and a subtree lies close to its root.
void WordIndex::build_trie() {
  struct Pending {
    std::uint32_t node;
    std::uint32_t first_word;  // the words [first_word, end_word) start with the node's prefix
    std::uint32_t end_word;
    std::uint32_t depth;  // the prefix's length
  };
  std::vector<Pending> stack;
  std::array<Pending, 26> children{};

  nodes_.reserve(text_.size() + 1);  // a node a letter at the very most
  nodes_.emplace_back();
  stack.push_back(Pending{0, 0, static_cast<std::uint32_t>(size()), 0});
  while (!stack.empty()) {
    auto [node, first, end, depth] = stack.back();
    stack.pop_back();
    // Sorted and distinct: the prefix itself, if it is a word, comes first and only once.
    if (first < end && word(first).size() == depth) nodes_[node].word = first++;

    std::size_t count = 0;
    std::uint32_t mask = 0;
    for (auto i = first; i < end;) {
      const char letter = word(i)[depth];
      auto j = i + 1;
      while (j < end && word(j)[depth] == letter)
        ++j;
      const auto child = static_cast<std::uint32_t>(nodes_.size() + count);
      children[count++] = Pending{child, i, j, depth + 1};
      mask |= 1u << (letter - 'a');
      i = j;
    }
    nodes_[node].child_mask = mask;
    nodes_[node].first_child = static_cast<std::uint32_t>(nodes_.size());
    nodes_.resize(nodes_.size() + count);
    for (std::size_t k = count; k-- > 0;)
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
