// http:// URLs as `netsvc get` takes them: parsing, resolving a redirect's Location against
// the URL it came from, and the file name wget would save the body under. Pure; safe from any
// thread.
#pragma once

#include <string>
#include <string_view>

#include "netsvc/exit_codes.hpp"
#include "netsvc/host_port.hpp"

namespace netsvc {

struct Url {
  HostPort authority;  // port 80 unless the URL names one
  std::string target;  // path and query, starting with '/'; no fragment

  std::string to_string() const;  // http://host[:port]/target (":80" left out)
  std::string host_header() const;
};

// Failure (kExitUsage): not http:// (https:// has a message of its own), no host, a bad port.
Outcome<Url> parse_url(std::string_view text);

// A Location header's URL: absolute, scheme-relative (//host/p), absolute path, or relative to
// `base` (RFC 3986 section 5.2, without the rarer cases).
Outcome<Url> resolve_location(const Url& base, std::string_view location);

// The URL path's last segment, percent-decoded; "index.html" for an empty one, for "." and
// "..", and for anything a file name cannot be.
std::string output_name(const Url& url);

}  // namespace netsvc
