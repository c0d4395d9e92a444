#include "netsvc/http_client.hpp"

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <vector>

#include "netsvc/version.hpp"

namespace netsvc {
namespace {

namespace http = boost::beast::http;
using boost::beast::error_code;
using boost::beast::string_view;

// Beast's parser with our own callbacks: the head into an HttpHead, each body piece straight to
// the sink, so a body of any size passes through a buffer of a fixed size.
class ResponseParser : public http::basic_parser<false> {
 public:
  explicit ResponseParser(BodySink& sink) : sink_(sink) {
    body_limit(boost::none);  // `get` saves files of any size; the sink limits what it keeps
    header_limit(64 * 1024);
  }

  HttpHead head;
  std::optional<Failure> failure;  // the sink's, which stops the parser
  bool stopped = false;            // the sink wanted no body

 private:
  void on_request_impl(http::verb, string_view, string_view, int, error_code&) override {}
  void on_response_impl(int code, string_view reason, int, error_code&) override {
    head.status = static_cast<unsigned>(code);
    head.reason = std::string(reason);
  }
  void on_field_impl(http::field name, string_view, string_view value, error_code&) override {
    if (name == http::field::location) head.location = std::string(value);
  }
  void on_header_impl(error_code& ec) override {
    head.content_length =
        content_length() ? std::optional<std::uint64_t>(*content_length()) : std::nullopt;
    auto wanted = sink_.on_head(head);
    if (!wanted) {
      failure = wanted.failure();
      ec = http::error::bad_value;
    } else if (!*wanted) {
      stopped = true;
      ec = http::error::bad_value;
    }
  }
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(string_view body, error_code& ec) override { return deliver(body, ec); }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code& ec) override {
    return deliver(body, ec);
  }
  void on_finish_impl(error_code&) override {}

  std::size_t deliver(string_view body, error_code& ec) {
    if (auto written = sink_.on_body({body.data(), body.size()}); !written) {
      failure = written.failure();
      ec = http::error::bad_value;
    }
    return body.size();
  }

  BodySink& sink_;
};

}  // namespace

Status StringSink::on_body(std::string_view piece) {
  if (body_.size() + piece.size() > limit_) {
    return Failure{kExitProtocol, "answer longer than " + std::to_string(limit_) + " bytes"};
  }
  body_.append(piece);
  return done();
}

Outcome<HttpHead> http_get(const Url& url, const ConnectOptions& options, BodySink& sink) {
  auto stream = connect_to(url.authority, options);
  if (!stream) return stream.failure();
  // Connection: close, so that the server's close is the end of this exchange and nothing
  // needs to be drained for the next.
  const std::string request = "GET " + url.target + " HTTP/1.1\r\nHost: " + url.host_header() +
                              "\r\nUser-Agent: netsvc/" + kVersion +
                              "\r\nAccept: */*\r\nConnection: close\r\n\r\n";
  if (auto sent = stream->write_all(request); !sent) return sent.failure();

  ResponseParser parser(sink);
  parser.eager(true);
  const auto broken = [&](const std::string& why) {
    return Failure{kExitProtocol, stream->peer() + ": " + why};
  };
  std::vector<char> buffer(64 * 1024);
  std::size_t used = 0;  // bytes in buffer that the parser has not taken yet
  while (!parser.is_done()) {
    if (used == buffer.size()) buffer.resize(buffer.size() * 2);  // a head beyond 64 KiB
    auto got = stream->read_some(buffer.data() + used, buffer.size() - used);
    if (!got) return got.failure();
    error_code ec;
    if (*got == 0) {
      parser.put_eof(ec);
      if (ec == http::error::partial_message || (!ec && !parser.is_done())) {
        return broken(parser.is_header_done()
                          ? "the body ends early (the connection closed)"
                          : "the connection closed before a whole response head");
      }
      if (ec) return broken("not an HTTP response (" + ec.message() + ")");
      break;
    }
    used += *got;
    std::size_t offset = 0;
    while (offset < used && !parser.is_done()) {
      const auto taken = parser.put(boost::asio::buffer(buffer.data() + offset, used - offset), ec);
      offset += taken;
      if (parser.failure) return *parser.failure;
      if (parser.stopped) return parser.head;
      if (ec == http::error::need_more) break;
      if (ec) return broken("not an HTTP response (" + ec.message() + ")");
      if (taken == 0) break;
    }
    std::copy(buffer.begin() + static_cast<std::ptrdiff_t>(offset),
              buffer.begin() + static_cast<std::ptrdiff_t>(used), buffer.begin());
    used -= offset;
  }
  return parser.head;
}

}  // namespace netsvc
