#include "netsvc/words_view.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>

namespace netsvc {
namespace {

std::string cell(const WordEntry& entry) {
  return entry.score ? entry.word + " " + std::to_string(*entry.score) : entry.word;
}

}  // namespace

std::string words_target(const WordQuery& query) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string target = "/";
  for (const char c : query.letters) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '?' || c == ' ' || c == '_') {
      target += '_';
    } else if (std::isalpha(byte) && byte < 0x80) {
      target += c;
    } else {
      target += '%';
      target += kHex[byte >> 4];
      target += kHex[byte & 0xF];
    }
  }
  char separator = '?';
  if (query.min_length) {
    target += separator + std::string("min_length=") + std::to_string(*query.min_length);
    separator = '&';
  }
  if (query.sort) {
    target += separator + std::string("sort=") + *query.sort;
    if (*query.sort == "score") target += "&details=1";
  }
  return target;
}

Outcome<std::vector<WordEntry>> parse_words_answer(std::string_view body, bool scores) {
  const auto bad = [](const std::string& why) {
    return Failure{kExitProtocol, "the word finder's answer is not what the API promises: " + why};
  };
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded()) return bad("not JSON");
  if (!json.is_object() || !json.contains("possibilities") || !json["possibilities"].is_array()) {
    return bad("no \"possibilities\" list");
  }
  const auto& words = json["possibilities"];
  std::vector<WordEntry> entries;
  entries.reserve(words.size());
  for (const auto& word : words) {
    if (!word.is_string()) return bad("a possibility that is not a string");
    entries.push_back({word.get<std::string>(), std::nullopt});
  }
  if (!scores) return entries;
  if (!json.contains("details") || !json["details"].is_array() ||
      json["details"].size() != entries.size()) {
    return bad("no \"details\" list beside the possibilities (does the server know sort=score?)");
  }
  const auto& details = json["details"];
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& detail = details[i];
    if (!detail.is_object() || !detail.contains("word") || !detail.contains("score") ||
        !detail["score"].is_number_integer() || detail["word"] != entries[i].word) {
      return bad("details[" + std::to_string(i) + "] does not match \"" + entries[i].word + "\"");
    }
    entries[i].score = detail["score"].get<int>();
  }
  return entries;
}

std::string error_message(std::string_view body) {
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_discarded() && json.is_object() && json.contains("error") &&
      json["error"].is_string()) {
    return json["error"].get<std::string>();
  }
  while (!body.empty() && std::isspace(static_cast<unsigned char>(body.back())))
    body.remove_suffix(1);
  return std::string(body.substr(0, 200));
}

std::string render_lines(const std::vector<WordEntry>& entries) {
  std::string out;
  for (const auto& entry : entries)
    out += cell(entry) + '\n';
  return out;
}

std::string render_columns(const std::vector<WordEntry>& entries, std::size_t width) {
  std::map<std::size_t, std::vector<std::string>, std::greater<>> groups;
  for (const auto& entry : entries)
    groups[entry.word.size()].push_back(cell(entry));
  std::string out;
  for (const auto& [length, cells] : groups) {
    if (!out.empty()) out += '\n';
    out += std::to_string(length) + (length == 1 ? " letter (" : " letters (") +
           std::to_string(cells.size()) + ")\n";
    std::size_t cell_width = 0;
    for (const auto& text : cells)
      cell_width = std::max(cell_width, text.size());
    constexpr std::size_t kIndent = 2;
    constexpr std::size_t kGap = 2;
    const std::size_t usable = width > kIndent ? width - kIndent : 1;
    const std::size_t columns = std::max<std::size_t>(1, (usable + kGap) / (cell_width + kGap));
    const std::size_t rows = (cells.size() + columns - 1) / columns;
    for (std::size_t row = 0; row < rows; ++row) {
      std::string line(kIndent, ' ');
      for (std::size_t column = 0; column < columns; ++column) {
        const std::size_t index = column * rows + row;
        if (index >= cells.size()) break;
        if (column > 0) line += std::string(kGap, ' ');
        line += cells[index];
        line += std::string(cell_width - cells[index].size(), ' ');
      }
      while (line.back() == ' ')
        line.pop_back();
      out += line + '\n';
    }
  }
  return out;
}

}  // namespace netsvc
