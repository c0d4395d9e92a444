// The word finder's side of `netsvc words`: the request path for a rack, the answer's JSON read
// into entries, and the two ways to show them (one a line for pipes, columns grouped by length
// for a terminal). Pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netsvc/exit_codes.hpp"

namespace netsvc {

struct WordQuery {
  std::string letters;                 // as typed: '?' and ' ' are blanks
  std::optional<unsigned> min_length;  // ?min_length=N when set
  std::optional<std::string> sort;     // "score" or "length": ?sort=...; score adds details=1
};

struct WordEntry {
  std::string word;
  std::optional<int> score;  // with --sort score, from the answer's "details"
};

// "/<rack>?min_length=N&sort=score&details=1": blanks become '_', anything but letters and '_'
// is percent-encoded so that the server, not netsvc, judges it (its 400 names the problem).
std::string words_target(const WordQuery& query);

// The answer's "possibilities", with each word's score from "details" when `scores` is set.
// Failure (kExitProtocol): not JSON, or not the shape the API documents.
Outcome<std::vector<WordEntry>> parse_words_answer(std::string_view body, bool scores);

// An error answer's {"error": "..."} message, or the body itself (trimmed) if it has none.
std::string error_message(std::string_view body);

// One entry a line: "stair" or, with a score, "stair 5".
std::string render_lines(const std::vector<WordEntry>& entries);

// Longest words first, a heading per length ("5 letters (12)"), each group in the answer's
// order, laid out in as many columns as `width` holds, filled top to bottom like ls.
std::string render_columns(const std::vector<WordEntry>& entries, std::size_t width);

}  // namespace netsvc
