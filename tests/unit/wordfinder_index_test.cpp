// Unit tests for daemon/wordfinder/word_index.*: loading dictionaries (statistics, folding,
// bad files) and searches with hand-checked answers on tests/data/small_dictionary.txt.
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "support/temp_dir.hpp"
#include "wordfinder/rack.hpp"
#include "wordfinder/word_index.hpp"

namespace {

using netsvcd::test::TempDir;
using netsvcd::wordfinder::DictionaryStats;
using netsvcd::wordfinder::LoadedIndex;
using netsvcd::wordfinder::parse_rack;
using netsvcd::wordfinder::RackLimits;
using netsvcd::wordfinder::WordIndex;
using Words = std::vector<std::string>;

const std::string kSmallDictionary = NETSVCD_SOURCE_DIR "/tests/data/small_dictionary.txt";

const WordIndex& small_index() {
  static const LoadedIndex loaded = WordIndex::load_file(kSmallDictionary);
  INFO(loaded.error);
  REQUIRE(loaded.index);
  return *loaded.index;
}

// The answer for `segment`, as strings so that Catch prints it whole on failure.
Words search(const WordIndex& index, std::string_view segment, std::size_t min_length) {
  const auto parsed = parse_rack(segment, RackLimits{.max_tiles = 64, .max_blanks = 64});
  INFO(segment << ": " << parsed.message);
  REQUIRE(parsed.rack);
  const auto found = index.search(*parsed.rack, min_length);
  return Words(found.begin(), found.end());
}

Words all_words(const WordIndex& index) {
  Words words;
  for (std::size_t i = 0; i < index.size(); ++i)
    words.emplace_back(index.word(i));
  return words;
}

TEST_CASE("word index: the small dictionary loads with exact statistics", "[word_index]") {
  const WordIndex& index = small_index();
  DictionaryStats expected;
  expected.lines = 31;
  expected.blank_lines = 3;  // "", "\r", "   \t"
  expected.words = 18;
  expected.duplicates = 3;             // relax after RELAX, ale, EX after ex
  expected.skipped_mixed_case = 2;     // Alex, iPhone
  expected.skipped_bad_character = 4;  // aren't, r2d2, éclair, " ale"
  expected.skipped_too_long = 1;       // 65 x
  CHECK(index.stats() == expected);
  CHECK(index.stats().skipped() == 7);
  CHECK(index.size() == 18);
  CHECK(all_words(index) == Words{"a", "ale", "are", "ax", "axle", "ear", "era", "ex", "lax",
                                  "laxer", "lea", "lexical", "ox", "real", "relax", "rex",
                                  "xylophone", "zoo"});
}

TEST_CASE("word index: answers are longest first then alphabetical", "[word_index]") {
  const WordIndex& index = small_index();
  CHECK(search(index, "relax", 2) == Words{"laxer", "relax", "axle", "real", "ale", "are", "ear",
                                           "era", "lax", "lea", "rex", "ax", "ex"});
  CHECK(search(index, "xylophone", 2) == Words{"xylophone", "ex", "ox"});
  CHECK(search(index, "ox", 2) == Words{"ox"});
}

TEST_CASE("word index: min_length leaves out shorter words", "[word_index]") {
  const WordIndex& index = small_index();
  CHECK(search(index, "relax", 4) == Words{"laxer", "relax", "axle", "real"});
  CHECK(search(index, "relax", 5) == Words{"laxer", "relax"});
  CHECK(search(index, "relax", 6) == Words{});
  CHECK(search(index, "relax", 1) == Words{"laxer", "relax", "axle", "real", "ale", "are", "ear",
                                           "era", "lax", "lea", "rex", "ax", "ex", "a"});
  CHECK(search(index, "relax", 0) == search(index, "relax", 1));
}

TEST_CASE("word index: each tile is used at most once", "[word_index]") {
  const WordIndex& index = small_index();
  CHECK(search(index, "zo", 2) == Words{});  // zoo needs two o
  CHECK(search(index, "zoo", 2) == Words{"zoo"});
  CHECK(search(index, "lexica", 2) == Words{"axle", "ale", "lax", "lea", "ax", "ex"});
  CHECK(search(index, "lexical", 7) == Words{"lexical"});
  CHECK(search(index, "q", 1) == Words{});
  CHECK(search(index, "aa", 2) == Words{});
  CHECK(search(index, "aa", 1) == Words{"a"});
}

TEST_CASE("word index: a blank stands for any one letter", "[word_index]") {
  const WordIndex& index = small_index();
  CHECK(search(index, "o_", 2) == Words{"ox"});
  CHECK(search(index, "o_", 1) == Words{"ox", "a"});
  CHECK(search(index, "zo_", 2) == Words{"zoo", "ox"});
  // The second l of lexical is the blank; r is the blank in the others that need it.
  CHECK(search(index, "lexica_", 3) == Words{"lexical", "laxer", "relax", "axle", "real", "ale",
                                             "are", "ear", "era", "lax", "lea", "rex"});
  CHECK(search(index, "__", 2) == Words{"ax", "ex", "ox"});
  CHECK(search(index, "___", 3) == Words{"ale", "are", "ear", "era", "lax", "lea", "rex", "zoo"});
}

TEST_CASE("word index: a word is reported once whichever tile spells it", "[word_index]") {
  const WordIndex& index = small_index();
  // "a" from the a tile or from the blank; "ax" from a and a blank, or two blanks.
  CHECK(search(index, "a_", 1) == Words{"ax", "a"});
  // Three letters need the a tile: rex and zoo would take three blanks.
  CHECK(search(index, "a__", 1) ==
        Words{"ale", "are", "ear", "era", "lax", "lea", "ax", "ex", "ox", "a"});
  CHECK(search(index, "relax__", 5) == Words{"laxer", "relax"});
}

TEST_CASE("word index: upper-case lines are folded and mixed case is skipped", "[word_index]") {
  const LoadedIndex loaded = WordIndex::load_text("QUIZ\nQuiz\nquiz\nZA\nMcDonald\n", "caps");
  REQUIRE(loaded.index);
  CHECK(all_words(*loaded.index) == Words{"quiz", "za"});
  CHECK(loaded.index->stats().duplicates == 1);
  CHECK(loaded.index->stats().skipped_mixed_case == 2);
}

TEST_CASE("word index: words in any order with prefixes and repeats load sorted and distinct",
          "[word_index]") {
  const LoadedIndex loaded =
      WordIndex::load_text("zoo\nabc\nab\na\nzoo\nABC\nb\nzoo\nzo\n", "shuffled");
  REQUIRE(loaded.index);
  CHECK(all_words(*loaded.index) == Words{"a", "ab", "abc", "b", "zo", "zoo"});
  CHECK(loaded.index->stats().duplicates == 3);
  CHECK(search(*loaded.index, "zoocba", 1) == Words{"abc", "zoo", "ab", "zo", "a", "b"});

  const LoadedIndex same = WordIndex::load_text("aa\naa\nAA\n", "same");
  REQUIRE(same.index);
  CHECK(all_words(*same.index) == Words{"aa"});
  CHECK(same.index->stats().duplicates == 2);
}

TEST_CASE("word index: words of up to 64 letters are kept and longer ones skipped",
          "[word_index]") {
  const std::string longest(64, 'e');
  const LoadedIndex loaded = WordIndex::load_text(longest + "\n" + longest + "e\nee\n", "long");
  REQUIRE(loaded.index);
  CHECK(all_words(*loaded.index) == Words{"ee", longest});
  CHECK(loaded.index->stats().skipped_too_long == 1);
  CHECK(search(*loaded.index, longest, 3) == Words{longest});
}

TEST_CASE("word index: a missing dictionary is an error naming it and the reason", "[word_index]") {
  const TempDir dir;
  const auto path = dir.path() / "no-such-words";
  const LoadedIndex loaded = WordIndex::load_file(path);
  CHECK_FALSE(loaded.index);
  CHECK(loaded.error == "cannot read " + path.string() + ": No such file or directory");
}

TEST_CASE("word index: a directory is not a dictionary", "[word_index]") {
  const TempDir dir;
  const LoadedIndex loaded = WordIndex::load_file(dir.path());
  CHECK_FALSE(loaded.index);
  CHECK(loaded.error == "cannot read " + dir.path().string() + ": Is a directory");
}

// The error for a dictionary file holding `content`, and what it should say.
struct WordlessCase {
  std::string error;
  std::string expected;
};
WordlessCase wordless(std::string_view content, std::string_view counts) {
  const TempDir dir;
  const auto path = dir.write("words", content);
  const LoadedIndex loaded = WordIndex::load_file(path);
  CHECK_FALSE(loaded.index);
  return {loaded.error, "no usable word in " + path.string() + ": " + std::string(counts) +
                            " (a word is a line of letters a-z, or all capitals A-Z)"};
}

TEST_CASE("word index: an empty dictionary is an error", "[word_index]") {
  const auto [error, expected] = wordless("", "0 lines, 0 blank, 0 skipped");
  CHECK(error == expected);
}

TEST_CASE("word index: a dictionary of junk lines only is an error", "[word_index]") {
  const auto [error, expected] = wordless("Aaron\r\nit's\n\n42\ncaf\xC3\xA9\n  \nhello world\n",
                                          "7 lines, 2 blank, 5 skipped");
  CHECK(error == expected);
}

TEST_CASE("word index: text and file load the same index", "[word_index]") {
  const TempDir dir;
  const std::string text = "b\r\nA\n\nc";
  const LoadedIndex from_file = WordIndex::load_file(dir.write("words", text));
  const LoadedIndex from_text = WordIndex::load_text(text, "words");
  REQUIRE(from_file.index);
  REQUIRE(from_text.index);
  CHECK(all_words(*from_file.index) == Words{"a", "b", "c"});
  CHECK(all_words(*from_text.index) == all_words(*from_file.index));
  CHECK(from_text.index->stats() == from_file.index->stats());
  CHECK(from_text.index->stats().lines == 4);
}

}  // namespace
