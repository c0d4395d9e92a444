// One HTTP/1.1 GET over a fresh connection, its response read by Beast's parser (Content-Length,
// chunked, or up to the close) and its body handed to a BodySink piece by piece, never held
// whole. No state between calls; each call is one thread's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "netsvc/connector.hpp"
#include "netsvc/exit_codes.hpp"
#include "netsvc/url.hpp"

namespace netsvc {

struct HttpHead {
  unsigned status = 0;
  std::string reason;
  std::string location;                         // empty when there is none
  std::optional<std::uint64_t> content_length;  // none when chunked or read to the close
};

// Where a response goes. An interface so that `get` can stream to a file and `words` can keep
// a small answer in memory.
class BodySink {
 public:
  virtual ~BodySink() = default;
  // The head has arrived: true to read the body, false to stop here (a redirect, an error).
  virtual Outcome<bool> on_head(const HttpHead& head) = 0;
  virtual Status on_body(std::string_view piece) = 0;
};

// GET `url`. Failure: those of connect_to(), kExitProtocol for a response that is not HTTP or
// ends early, kExitTempFail for a silent server, and whatever the sink returns.
Outcome<HttpHead> http_get(const Url& url, const ConnectOptions& options, BodySink& sink);

// A sink that keeps the body in memory, up to `limit` bytes (kExitProtocol beyond).
class StringSink : public BodySink {
 public:
  explicit StringSink(std::size_t limit) : limit_(limit) {}
  Outcome<bool> on_head(const HttpHead&) override { return true; }
  Status on_body(std::string_view piece) override;
  const std::string& body() const { return body_; }

 private:
  std::size_t limit_;
  std::string body_;
};

}  // namespace netsvc
