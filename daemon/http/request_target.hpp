// RequestTarget: the request-target of an HTTP/1.1 request line (RFC 9112 §3.2) reduced to what
// a router serves: a path and a query. Pure functions, no state; safe everywhere.
#pragma once

#include <string>
#include <string_view>
#include <variant>

namespace netsvcd::http {

// The origin-form parts of a target: views into the target, or into static storage.
struct Target {
  std::string_view path;   // "/lexical": always starts with '/'
  std::string_view query;  // "min_length=3", after the '?'; empty if none
};

// What `target` asks for, or why it cannot be served (the message of a 400):
// - origin-form "/path?query": as it is;
// - absolute-form "http://host[:port]/path?query" (RFC 9112 §3.2.2, what proxies send): its path
//   ("/" when empty) and query; the scheme is matched without regard to case; the authority must
//   name a host and no user;
// - another scheme, the authority-form ("host:port", CONNECT's), the asterisk-form ("*",
//   OPTIONS's) or anything else: a message that names the form.
std::variant<Target, std::string> parse_target(std::string_view target);

}  // namespace netsvcd::http
