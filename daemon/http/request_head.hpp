// RequestHead: an HTTP/1.1 request head parsed by Beast's parser, keeping of it only what the
// session and its router need, as views into the buffer it was parsed from: no allocation.
// Bodies are never read (the parser is not eager): a request with one is refused by the
// session. find_head() says whether a head is whole yet. One per request; not thread-safe.
#pragma once

#include <cstddef>
#include <string_view>
#include <variant>

#include <boost/beast/http/basic_parser.hpp>
#include <boost/system/error_code.hpp>

namespace netsvcd::http {

class RequestHead final : public boost::beast::http::basic_parser<true> {
 public:
  boost::beast::http::verb method = boost::beast::http::verb::unknown;
  std::string_view method_text;
  std::string_view target;
  std::string_view accept;  // the first Accept field's value
  int version = 11;         // 10 or 11
  bool has_host = false;

  // Parses `head`, a whole head (ending in an empty line) of at most `max_bytes`; the views
  // point into it. Returns how much it used, and sets `ec` to what is wrong with it.
  std::size_t parse(std::string_view head, std::size_t max_bytes, boost::system::error_code& ec);

 private:
  using string_view = boost::beast::string_view;
  using error_code = boost::system::error_code;

  void on_request_impl(boost::beast::http::verb verb, string_view method_string,
                       string_view request_target, int http_version, error_code&) override;
  void on_response_impl(int, string_view, int, error_code&) override {}
  void on_field_impl(boost::beast::http::field name, string_view, string_view value,
                     error_code&) override;
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(string_view body, error_code&) override { return body.size(); }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override {
    return body.size();
  }
  void on_finish_impl(error_code&) override {}
};

// Whether the bytes at the front of a connection's buffer hold a whole head: its size; 0 when
// more must come first; a header_limit error when it is longer than `max_bytes` without its end.
std::variant<std::size_t, boost::system::error_code> find_head(std::string_view buffered,
                                                               std::size_t max_bytes);

}  // namespace netsvcd::http
