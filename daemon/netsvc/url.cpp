#include "netsvc/url.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace netsvc {
namespace {

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
           return a == std::tolower(static_cast<unsigned char>(b));
         });
}

// RFC 3986 section 5.2.4, on a path without its query.
std::string remove_dot_segments(std::string_view path) {
  std::vector<std::string_view> kept;
  std::size_t start = 1;  // past the leading '/'
  bool directory = false;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const auto segment = path.substr(start, end - start);
    directory = segment == "." || segment == "..";
    if (segment == "..") {
      if (!kept.empty()) kept.pop_back();
    } else if (segment != ".") {
      kept.push_back(segment);
    }
    start = end + 1;
  }
  std::string out;
  for (const auto segment : kept)
    out.append("/").append(segment);
  if (out.empty() || directory) out += '/';
  return out;
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string Url::to_string() const {
  std::string text = "http://";
  if (authority.port == 80) {
    const bool v6 = authority.host.find(':') != std::string::npos;
    text += v6 ? "[" + authority.host + "]" : authority.host;
  } else {
    text += authority.to_string();
  }
  return text + target;
}

std::string Url::host_header() const {
  const auto text = authority.to_string();
  return authority.port == 80 ? text.substr(0, text.rfind(':')) : text;
}

Outcome<Url> parse_url(std::string_view text) {
  if (starts_with_nocase(text, "https://")) {
    return Failure{kExitUsage, "https:// is not supported (netsvc speaks plain HTTP only)"};
  }
  if (!starts_with_nocase(text, "http://")) {
    return Failure{kExitUsage, "not an http:// URL"};
  }
  auto rest = text.substr(7);
  rest = rest.substr(0, rest.find('#'));
  const auto end = rest.find_first_of("/?");
  const auto authority = rest.substr(0, end);
  if (authority.find('@') != std::string_view::npos) {
    return Failure{kExitUsage, "user names in URLs are not supported"};
  }
  auto host = parse_host_port(authority, 80);
  if (!host) return host.failure();
  Url url{*host, end == std::string_view::npos ? "/" : std::string(rest.substr(end))};
  if (url.target.front() == '?') url.target.insert(0, "/");
  return url;
}

namespace {

// resolve_location without the fragment.
Outcome<Url> resolve_reference(const Url& base, std::string_view location) {
  const auto colon = location.find(':');
  const auto first_special = location.find_first_of("/?");
  if (colon != std::string_view::npos && colon < first_special && colon > 0) {
    return parse_url(location);  // has a scheme of its own
  }
  if (location.starts_with("//")) return parse_url("http:" + std::string(location));
  Url url = base;
  const auto base_path = base.target.substr(0, base.target.find('?'));
  if (location.starts_with('/')) {
    const auto query = location.find('?');
    url.target = remove_dot_segments(location.substr(0, query)) +
                 std::string(query == std::string_view::npos ? "" : location.substr(query));
  } else if (location.starts_with('?')) {
    url.target = base_path + std::string(location);
  } else if (location.empty()) {
    url.target = base.target;
  } else {
    const auto query = location.find('?');
    const auto directory = base_path.substr(0, base_path.rfind('/') + 1);
    url.target = remove_dot_segments(directory + std::string(location.substr(0, query))) +
                 std::string(query == std::string_view::npos ? "" : location.substr(query));
  }
  return url;
}

}  // namespace

Outcome<Url> resolve_location(const Url& base, std::string_view location) {
  auto url = resolve_reference(base, location.substr(0, location.find('#')));
  if (!url) {
    return Failure{url.failure().exit_code,
                   "Location \"" + std::string(location) + "\": " + url.failure().message};
  }
  return url;
}

std::string output_name(const Url& url) {
  const std::string_view path = std::string_view(url.target).substr(0, url.target.find('?'));
  const auto segment = path.substr(path.rfind('/') + 1);
  std::string name;
  for (std::size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] == '%' && i + 2 < segment.size() && hex(segment[i + 1]) >= 0 &&
        hex(segment[i + 2]) >= 0) {
      name += static_cast<char>(hex(segment[i + 1]) * 16 + hex(segment[i + 2]));
      i += 2;
    } else {
      name += segment[i];
    }
  }
  if (name.empty() || name == "." || name == ".." ||
      name.find_first_of(std::string_view("/\0", 2)) != std::string::npos) {
    return "index.html";
  }
  return name;
}

}  // namespace netsvc
