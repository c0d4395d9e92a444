#include "http/accept.hpp"

#include <cctype>

namespace netsvcd::http {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

// RFC 9110 §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ). Whether
// `text` is one above zero; false for zero and for anything that is not a qvalue.
bool positive_weight(std::string_view text) {
  if (text.empty() || text.size() > 5) return false;
  if (text.size() > 1 && text[1] != '.') return false;
  const std::string_view fraction = text.size() > 2 ? text.substr(2) : std::string_view();
  for (const char c : fraction) {
    if (c < '0' || c > '9') return false;
  }
  if (text[0] == '1') return fraction.find_first_not_of('0') == std::string_view::npos;
  if (text[0] != '0') return false;
  return fraction.find_first_not_of('0') != std::string_view::npos;
}

}  // namespace

bool accepts_media_type(std::string_view accept, std::string_view type) {
  while (!accept.empty()) {
    const auto comma = accept.find(',');
    std::string_view range = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);

    const auto semicolon = range.find(';');
    if (!equal_ignoring_case(trim(range.substr(0, semicolon)), type)) continue;
    bool acceptable = true;
    // Parameters; the weight is the one named q (others, such as a charset, do not matter).
    for (range = semicolon == std::string_view::npos ? std::string_view()
                                                     : range.substr(semicolon + 1);
         !range.empty();) {
      const auto next = range.find(';');
      const std::string_view parameter = trim(range.substr(0, next));
      range = next == std::string_view::npos ? std::string_view() : range.substr(next + 1);
      const auto equals = parameter.find('=');
      if (equals == std::string_view::npos) continue;
      if (equal_ignoring_case(trim(parameter.substr(0, equals)), "q")) {
        acceptable = positive_weight(trim(parameter.substr(equals + 1)));
      }
    }
    if (acceptable) return true;
  }
  return false;
}

}  // namespace netsvcd::http
