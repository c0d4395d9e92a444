// Request, Response and Router: an HTTP exchange as plain values, and what answers it, so that
// routers are pure functions tested without sockets, and Beast stays inside session.cpp. Plain
// values, no shared state; a Router is immutable and thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>

namespace netsvcd::http {

// What a router needs of a request; views into the session's buffer, valid during the call.
// The session has already reduced the request-target to its path and query (request_target.hpp).
struct Request {
  std::string_view method;  // "GET", "HEAD", ...
  std::string_view path;    // "/lexical": always starts with '/'
  std::string_view query;   // "min_length=3", empty if none
  std::string_view accept;  // the Accept header, empty if none
  // The client's address: the connection's peer, or the client a PROXY header named.
  boost::asio::ip::address client{};
};

// A few bytes kept inside the response itself, for the parts of a body that change with every
// request ("cached", "client", "time"): no allocation. Appending past the capacity is a bug, and
// throws.
template <std::size_t Capacity>
class InlineText {
 public:
  static constexpr std::size_t kCapacity = Capacity;
  void append(std::string_view text) {
    if (text.size() > kCapacity - size_) throw std::length_error("InlineText is full");
    text.copy(chars_.data() + size_, text.size());
    size_ += text.size();
  }
  std::string_view view() const { return {chars_.data(), size_}; }

 private:
  std::array<char, kCapacity> chars_;  // only the first size_ are ever read
  std::size_t size_ = 0;
};

// Whether an answer came from a cache, for the listener's metrics.
enum class CacheUse { none, hit, miss };

// The body is sent as three parts in order: `prefix`, then `*shared`, then `tail`, so that
// bytes rendered once (a cached answer) are sent as they are, with neither a copy nor an
// allocation per request, between the few bytes that are this request's own.
struct Response {
  unsigned status = 200;
  CacheUse cache = CacheUse::none;
  std::string_view content_type = "application/json";  // text that outlives the response
  std::string_view allow;    // the Allow header's value (with a 405), text that outlives it
  unsigned retry_after = 0;  // seconds, for a Retry-After header (with a 503); 0 for none
  // More header lines, each ending in CRLF (at most kMaxExtraHeaders bytes): text that outlives
  // the response, rendered once, such as the web page's Content-Security-Policy.
  std::string_view headers;
  // Room for the word finder's {"cached":false,"client":"<the longest IPv6 address>",
  InlineText<80> prefix;
  std::shared_ptr<const std::string> shared;
  InlineText<46> tail;

  std::size_t body_size() const {
    return prefix.view().size() + (shared ? shared->size() : 0) + tail.view().size();
  }
  // The whole body in one string: for tests and messages, not for sending.
  std::string body() const;
};

// Answers one request. Implementations are immutable and thread-safe: many connections call
// route() at once.
class Router {
 public:
  virtual ~Router() = default;
  virtual Response route(const Request& request) const = 0;
  // Whether answering `request` may take long enough (a millisecond and more of CPU) to be run
  // off the connection's thread, which meanwhile serves its other connections. A guess, and a
  // cheap one: it is asked of every request.
  virtual bool costly(const Request& /*request*/) const { return false; }
};

// {"error": message} with `status`: how every error of the HTTP services is answered.
Response error_response(unsigned status, std::string_view message);
// `text` as the whole body, with `status` and `content_type`.
Response text_response(unsigned status, std::string_view content_type,
                       std::shared_ptr<const std::string> text);

}  // namespace netsvcd::http
