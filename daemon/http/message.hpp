// Request, Response and Router: an HTTP exchange as plain values, and what answers it, so that
// routers are pure functions tested without sockets, and Beast stays inside session.cpp. Plain
// values, no shared state; a Router is immutable and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace netsvcd::http {

// What a router needs of a request; views into the session's buffer, valid during the call.
// The session has already reduced the request-target to its path and query (request_target.hpp).
struct Request {
  std::string_view method;  // "GET", "HEAD", ...
  std::string_view path;    // "/lexical": always starts with '/'
  std::string_view query;   // "min_length=3", empty if none
  std::string_view accept;  // the Accept header, empty if none
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // beyond Date, Server, Content-*
};

// Answers one request. Implementations are immutable and thread-safe: many connections call
// route() at once.
class Router {
 public:
  virtual ~Router() = default;
  virtual Response route(const Request& request) const = 0;
};

// {"error": message} with `status`: how every error of the HTTP services is answered.
Response error_response(unsigned status, std::string_view message);

}  // namespace netsvcd::http
