#include "http/session.hpp"

#include <spdlog/spdlog.h>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <ctime>

#include "connection/deadlines.hpp"
#include "connection/lingering_close.hpp"
#include "http/request_target.hpp"
#include "log.hpp"
#include "version.hpp"

namespace netsvcd::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;

std::string_view view(beast::string_view text) {
  return {text.data(), text.size()};
}

// RFC 9110's IMF-fixdate, in the C locale netsvcd always runs in.
std::string http_date(std::chrono::system_clock::time_point now) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[40];
  const std::size_t length = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return {text, length};
}

// The answer to a request head the parser refused, or nullopt when there is nothing to answer
// (the client went away, or was too slow and its socket is already closed).
std::optional<Response> answer_to_read_error(const boost::system::error_code& ec,
                                             const bhttp::request_parser<bhttp::empty_body>& parser,
                                             const beast::flat_buffer& buffer,
                                             std::size_t max_header_bytes) {
  if (ec == bhttp::error::header_limit) {
    // The parser consumes the request line once it has it whole in one read; otherwise the
    // line is still at the start of the buffer, ended within the limit or not.
    if (!parser.get().target().empty()) return error_response(431, "request headers too large");
    const std::string_view unparsed(static_cast<const char*>(buffer.data().data()),
                                    std::min(buffer.data().size(), max_header_bytes));
    if (unparsed.find('\n') != std::string_view::npos) {
      return error_response(431, "request headers too large");
    }
    return error_response(414, "request line too long");
  }
  if (ec.category() == bhttp::make_error_code(bhttp::error::header_limit).category() &&
      ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
    return error_response(400, "malformed request: " + ec.message());
  }
  return std::nullopt;
}

// Takes `response` by reference, not by value: a class temporary in a co_await expression is
// what g++ 12 has been seen to destroy twice.
asio::awaitable<boost::system::error_code> write_response(beast::tcp_stream& stream,
                                                          Response& response, unsigned version,
                                                          bool head, bool keep_alive,
                                                          std::chrono::milliseconds timeout) {
  bhttp::response<bhttp::string_body> message{static_cast<bhttp::status>(response.status), version};
  message.set(bhttp::field::server, std::string("netsvcd/") + kVersion);
  message.set(bhttp::field::date, http_date(std::chrono::system_clock::now()));
  message.set(bhttp::field::content_type, response.content_type);
  for (auto& [name, value] : response.headers)
    message.set(name, value);
  message.keep_alive(keep_alive);
  message.body() = std::move(response.body);
  message.prepare_payload();
  stream.expires_after(timeout);
  if (head) {
    // The GET's headers, Content-Length included, and no body.
    bhttp::response<bhttp::empty_body> headers_only{message.base()};
    const auto [ec, bytes] = co_await bhttp::async_write(stream, headers_only, use_nothrow);
    co_return ec;
  }
  const auto [ec, bytes] = co_await bhttp::async_write(stream, message, use_nothrow);
  co_return ec;
}

// The answer to a request the session refuses before any router sees it, or nullopt.
std::optional<Response> refusal(const bhttp::request_header<>& head, bool has_body,
                                const std::variant<Target, std::string>& target) {
  const bool safe_method = head.method() == bhttp::verb::get || head.method() == bhttp::verb::head;
  if (has_body && safe_method) return error_response(400, "a GET or HEAD request has no body");
  // Required even with an absolute-form target, whose authority then stands in for it
  // (RFC 9112 §3.2 and §3.2.2); nginx does the same.
  if (head.version() >= 11 && head.find(bhttp::field::host) == head.end()) {
    return error_response(400, "an HTTP/1.1 request needs a Host header");
  }
  if (const auto* problem = std::get_if<std::string>(&target)) return error_response(400, *problem);
  return std::nullopt;
}

// What a router sees of a request the session accepted.
Request request_of(const bhttp::request_header<>& head,
                   const std::variant<Target, std::string>& target) {
  const auto& [path, query] = std::get<Target>(target);
  return {view(head.method_string()), path, query, view(head[bhttp::field::accept])};
}

// The router's answer; a router that fails (out of memory, or a bug) gets the client a 500,
// not a dropped connection.
Response route(const Router& router, const Request& request,
               const connection::StreamConnection& connection) {
  try {
    return router.route(request);
  } catch (const std::exception& e) {
    connection::log_connection(connection, spdlog::level::err, "{} {}{}{}: {}", request.method,
                               request.path, request.query.empty() ? "" : "?", request.query,
                               e.what());
    return error_response(500, "internal error");
  }
}

using ReadResult = std::tuple<boost::system::error_code, std::size_t>;

// A new connection's first bytes. A stop does not cut this wait: the client was accepted and
// its request may be on the way, so the drain waits for it (up to request_timeout, within
// shutdown_timeout) rather than lose it.
asio::awaitable<ReadResult> read_first_bytes(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                             const SessionLimits& limits) {
  stream.expires_after(limits.request_timeout);
  co_return co_await stream.async_read_some(buffer.prepare(4096), use_nothrow);
}

// The next request's first bytes on a kept-alive connection. A stop cancels this wait at once:
// the client has had every answer it asked for.
asio::awaitable<ReadResult> read_next_bytes(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                            const SessionLimits& limits,
                                            connection::Deadlines::Entry& stop) {
  stop.waiting(limits.idle_timeout);
  if (stop.expired() != connection::Deadlines::Expiry::none) {
    co_return ReadResult{asio::error::operation_aborted, 0};
  }
  stream.expires_after(limits.idle_timeout);
  const auto read = co_await stream.async_read_some(buffer.prepare(4096), use_nothrow);
  stop.working(std::chrono::hours(24));  // the stream's own timers bound the rest
  co_return read;
}

void cancel_stream(void* stream) {
  static_cast<beast::tcp_stream*>(stream)->cancel();
}

}  // namespace

asio::awaitable<void> serve_http(connection::StreamConnection connection,
                                 const SessionLimits& limits, const Router& router) {
  beast::tcp_stream stream(connection.take_socket());
  connection::Deadlines::Entry stop(*connection.context, &cancel_stream, &stream);
  const auto write_timeout = connection.listener->write_timeout;
  beast::flat_buffer buffer;
  for (bool first = true;; first = false) {
    // Idle until the first byte of the next request; then the whole head has request_timeout.
    // A new connection gets no idle allowance: a client that connects and says nothing is
    // holding a descriptor, not keeping a connection alive.
    if (buffer.size() == 0) {
      ReadResult read;
      if (first) {
        read = co_await read_first_bytes(stream, buffer, limits);
      } else {
        read = co_await read_next_bytes(stream, buffer, limits, stop);
      }
      const auto [ec, bytes] = read;
      if (ec) break;  // closed, reset, idle too long, or stopping: nothing to answer
      buffer.commit(bytes);
    }
    bhttp::request_parser<bhttp::empty_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    stream.expires_after(limits.request_timeout);
    const auto [read_ec, read_bytes] =
        co_await bhttp::async_read_header(stream, buffer, parser, use_nothrow);
    if (read_ec) {
      connection::log_connection(connection, spdlog::level::debug, "request not read: {}",
                                 read_ec.message());
      if (auto answer = answer_to_read_error(read_ec, parser, buffer, limits.max_header_bytes)) {
        co_await write_response(stream, *answer, 11, false, false, write_timeout);
      }
      break;
    }

    const auto& head = parser.get();
    const auto target = parse_target(view(head.target()));
    // A body we would have to read and throw away: refuse it, and close after the answer.
    const bool has_body = !parser.is_done();
    auto refused = refusal(head, has_body, target);
    Response response =
        refused ? std::move(*refused) : route(router, request_of(head, target), connection);
    const bool keep_alive = head.keep_alive() && !has_body && response.status < 500 &&
                            !connection::Deadlines::of(*connection.context).stopping();
    connection::log_connection(connection, spdlog::level::debug, "{} {} {}",
                               view(head.method_string()), view(head.target()), response.status);
    const auto write_ec =
        co_await write_response(stream, response, head.version(),
                                head.method() == bhttp::verb::head, keep_alive, write_timeout);
    if (write_ec) {
      connection::log_connection(connection, spdlog::level::debug, "answer not written: {}",
                                 write_ec.message());
      co_return;
    }
    if (!keep_alive) break;
  }
  if (stream.socket().is_open()) {
    stream.expires_never();
    co_await connection::lingering_close(stream.socket(), stop);
  }
}

}  // namespace netsvcd::http
