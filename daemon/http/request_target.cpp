#include "http/request_target.hpp"

#include <algorithm>
#include <cctype>

namespace netsvcd::http {
namespace {

constexpr std::string_view kAskForPath = "ask for a path such as /lexical";

// "/path?query" ► its two parts.
Target split_origin(std::string_view origin) {
  const auto question = origin.find('?');
  if (question == std::string_view::npos) return {origin, {}};
  return {origin.substr(0, question), origin.substr(question + 1)};
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

// RFC 3986's scheme: a letter, then letters, digits, '+', '-' and '.'.
bool is_scheme(std::string_view text) {
  if (text.empty() || !std::isalpha(static_cast<unsigned char>(text[0]))) return false;
  return std::ranges::all_of(text, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
  });
}

std::string quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

}  // namespace

std::variant<Target, std::string> parse_target(std::string_view target) {
  if (target.starts_with('/')) return split_origin(target);
  if (target == "*") {
    return "the asterisk-form target \"*\" is only for OPTIONS on a whole server; " +
           std::string(kAskForPath);
  }

  const auto separator = target.find("://");
  if (separator == std::string_view::npos || !is_scheme(target.substr(0, separator))) {
    if (target.find_first_of("/?") == std::string_view::npos && target.find(':') != 0 &&
        target.find(':') != std::string_view::npos) {
      return "the authority-form target " + quoted(target) +
             " is only for CONNECT through a proxy, which netsvcd is not; " +
             std::string(kAskForPath);
    }
    return "the target " + quoted(target) +
           " is neither a path starting with / nor an absolute http:// URL";
  }

  const std::string_view scheme = target.substr(0, separator);
  if (!equals_ignoring_case(scheme, "http")) {
    return "the absolute-form target " + quoted(target) + " has the scheme " + quoted(scheme) +
           "; netsvcd serves http here";
  }
  const std::string_view rest = target.substr(separator + 3);
  const auto path_start = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, path_start);
  // RFC 9110 §4.2.1: an http URI with an empty host is invalid; §4.2.4: userinfo is an error.
  if (authority.empty() || authority.starts_with(':')) {
    return "the absolute-form target " + quoted(target) + " names no host";
  }
  if (authority.find('@') != std::string_view::npos) {
    return "the absolute-form target " + quoted(target) + " carries user information";
  }
  if (path_start == std::string_view::npos) return Target{"/", {}};
  const std::string_view origin = rest.substr(path_start);
  if (origin.starts_with('?')) return Target{"/", origin.substr(1)};
  return split_origin(origin);
}

}  // namespace netsvcd::http
