#include "http/session.hpp"

#include <array>
#include <cstring>
#include <ctime>
#include <optional>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/status.hpp>

#include "connection/deadlines.hpp"
#include "connection/lingering_close.hpp"
#include "http/request_target.hpp"
#include "log.hpp"
#include "version.hpp"

namespace netsvcd::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
using connection::Deadlines;

std::string_view view(beast::string_view text) {
  return {text.data(), text.size()};
}

// Beast's parser, keeping of a request head only what the session and its router need, as
// views into the buffer it parses: no allocation. Bodies are never read (eager is off): a
// request with one is refused.
class RequestHead final : public bhttp::basic_parser<true> {
 public:
  bhttp::verb method = bhttp::verb::unknown;
  std::string_view method_text;
  std::string_view target;
  std::string_view accept;
  int version = 11;
  bool has_host = false;

 private:
  void on_request_impl(bhttp::verb verb, beast::string_view method_string,
                       beast::string_view request_target, int http_version,
                       boost::system::error_code&) override {
    method = verb;
    method_text = view(method_string);
    target = view(request_target);
    version = http_version;
  }
  void on_response_impl(int, beast::string_view, int, boost::system::error_code&) override {}
  void on_field_impl(bhttp::field name, beast::string_view, beast::string_view value,
                     boost::system::error_code&) override {
    if (name == bhttp::field::host) has_host = true;
    if (name == bhttp::field::accept && accept.empty()) accept = view(value);
  }
  void on_header_impl(boost::system::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&,
                         boost::system::error_code&) override {}
  std::size_t on_body_impl(beast::string_view body, boost::system::error_code&) override {
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view,
                            boost::system::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body,
                                 boost::system::error_code&) override {
    return body.size();
  }
  void on_finish_impl(boost::system::error_code&) override {}
};

// What one request needs while it is read and answered, and nothing while the connection waits
// between requests: it goes back to the thread's pool then, as nginx frees a kept-alive
// connection's buffers. The head is read into `small`, or `large` when it outgrows that.
class RequestState {
 public:
  static constexpr std::size_t kSmall = 1024;

  std::optional<RequestHead> parser;
  Response response;
  std::array<char, 320> head;  // the response's status line and header fields

  std::string_view unparsed() const { return {data() + begin_, end_ - begin_}; }
  std::size_t buffered() const { return end_ - begin_; }
  void consume(std::size_t bytes) { begin_ += bytes; }
  // Room for the next read; the bytes of the next request are moved to the front first.
  asio::mutable_buffer free_space() {
    if (begin_ > 0) {
      std::memmove(data(), data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    return {data() + end_, capacity() - end_};
  }
  void filled(std::size_t bytes) { end_ += bytes; }
  bool full() const { return begin_ == 0 && end_ == capacity(); }
  // Moves what is buffered to a buffer of `capacity` bytes, once.
  void grow(std::size_t capacity) {
    if (large_) return;
    large_ = std::make_unique<char[]>(capacity);
    large_capacity_ = capacity;
    std::memcpy(large_.get(), small_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  // Ready for another request of any connection on this thread.
  void clear() {
    parser.reset();
    response = Response{};
    begin_ = end_ = 0;
    large_.reset();
    large_capacity_ = 0;
  }

 private:
  const char* data() const { return large_ ? large_.get() : small_.data(); }
  char* data() { return large_ ? large_.get() : small_.data(); }
  std::size_t capacity() const { return large_ ? large_capacity_ : small_.size(); }

  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::unique_ptr<char[]> large_;
  std::size_t large_capacity_ = 0;
  std::array<char, kSmall> small_;
};

// The RequestStates of one pool thread that no connection holds: taken and given back without
// an allocation in the steady state. A connection stays on its thread, so no lock.
class StatePool {
 public:
  static constexpr std::size_t kKept = 64;  // more than that are freed

  std::unique_ptr<RequestState> take() {
    if (free_.empty()) return std::make_unique<RequestState>();
    auto state = std::move(free_.back());
    free_.pop_back();
    return state;
  }
  void give(std::unique_ptr<RequestState> state) {
    state->clear();
    if (free_.size() < kKept) free_.push_back(std::move(state));
  }

 private:
  std::vector<std::unique_ptr<RequestState>> free_;
};

thread_local StatePool state_pool;

// A RequestState held from the pool, given back when released or destroyed.
class HeldState {
 public:
  HeldState() = default;
  HeldState(const HeldState&) = delete;
  HeldState& operator=(const HeldState&) = delete;
  ~HeldState() { release(); }

  void take() {
    if (!state_) state_ = state_pool.take();
  }
  void release() {
    if (state_) state_pool.give(std::move(state_));
  }
  explicit operator bool() const { return state_ != nullptr; }
  RequestState* operator->() { return state_.get(); }
  RequestState& operator*() { return *state_; }

 private:
  std::unique_ptr<RequestState> state_;
};

// RFC 9110's IMF-fixdate, formatted once a second per thread, in the C locale netsvcd always
// runs in.
std::string_view http_date() {
  thread_local std::time_t formatted_second = -1;
  thread_local std::array<char, 40> text;
  thread_local std::size_t length = 0;
  const std::time_t now = std::time(nullptr);
  if (now != formatted_second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    length = std::strftime(text.data(), text.size(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    formatted_second = now;
  }
  return {text.data(), length};
}

// The status line and header fields of `response` into `out`; what was written.
std::string_view format_head(std::array<char, 320>& out, const Response& response, int version,
                             bool keep_alive) {
  static const std::string server = std::string("netsvcd/") + kVersion;
  const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(response.status));
  auto result = fmt::format_to_n(
      out.data(), out.size(),
      "HTTP/1.{} {} {}\r\nServer: {}\r\nDate: {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
      version >= 11 ? 1 : 0, response.status, view(reason), server, http_date(),
      response.content_type, response.body_size());
  if (!response.allow.empty()) {
    result = fmt::format_to_n(result.out, out.data() + out.size() - result.out, "Allow: {}\r\n",
                              response.allow);
  }
  // HTTP/1.1 keeps a connection unless told otherwise, HTTP/1.0 closes it unless told otherwise.
  const bool say_close = version >= 11 && !keep_alive;
  const bool say_keep_alive = version < 11 && keep_alive;
  result = fmt::format_to_n(result.out, out.data() + out.size() - result.out, "{}\r\n",
                            say_close        ? "Connection: close\r\n"
                            : say_keep_alive ? "Connection: keep-alive\r\n"
                                             : "");
  return {out.data(), static_cast<std::size_t>(result.out - out.data())};
}

// The answer to a request head the parser refused.
Response answer_to_parse_error(const boost::system::error_code& ec, std::string_view unparsed,
                               std::size_t max_header_bytes) {
  if (ec == bhttp::error::header_limit) {
    // A whole request line within the limit: the fields after it are what is too large.
    if (unparsed.substr(0, max_header_bytes).find('\n') != std::string_view::npos) {
      return error_response(431, "request headers too large");
    }
    return error_response(414, "request line too long");
  }
  return error_response(400, "malformed request: " + ec.message());
}

// The answer to a request the session refuses before any router sees it, or nullopt.
std::optional<Response> refusal(const RequestHead& head, bool has_body,
                                const std::variant<Target, std::string>& target) {
  const bool safe_method = head.method == bhttp::verb::get || head.method == bhttp::verb::head;
  if (has_body && safe_method) return error_response(400, "a GET or HEAD request has no body");
  // Required even with an absolute-form target, whose authority then stands in for it
  // (RFC 9112 §3.2 and §3.2.2); nginx does the same.
  if (head.version >= 11 && !head.has_host) {
    return error_response(400, "an HTTP/1.1 request needs a Host header");
  }
  if (const auto* problem = std::get_if<std::string>(&target)) return error_response(400, *problem);
  return std::nullopt;
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

// route() on a worker thread, for a request the router says is costly; the connection's
// thread serves its other connections meanwhile.
asio::awaitable<Response, asio::io_context::executor_type> route_on_worker(
    const Router* router, const Request* request, const connection::StreamConnection* connection) {
  co_return route(*router, *request, *connection);
}

void cancel_socket(void* socket) {
  boost::system::error_code ignored;
  static_cast<connection::Socket*>(socket)->cancel(ignored);
}

// What the router is asked, for the request whose head `state` holds; nullopt when the session
// answers it itself (state.response then holds the refusal).
std::optional<Request> request_for_router(RequestState& state) {
  const RequestHead& head = *state.parser;
  const auto target = parse_target(head.target);
  if (auto refused = refusal(head, !head.is_done(), target)) {
    state.response = std::move(*refused);
    return std::nullopt;
  }
  const auto& [path, query] = std::get<Target>(target);
  return Request{head.method_text, path, query, head.accept};
}

// Whether the connection stays open after the answer in state.response.
bool keeps_alive(const RequestState& state, const connection::StreamConnection& connection) {
  const RequestHead& head = *state.parser;
  connection::log_connection(connection, spdlog::level::debug, "{} {} {}", head.method_text,
                             head.target, state.response.status);
  // A body we did not read (refused): close after the answer.
  return head.keep_alive() && head.is_done() && state.response.status < 500 &&
         !Deadlines::of(*connection.context).stopping();
}

// Writes state.response (its head only for HEAD) within the write deadline.
connection::Task<boost::system::error_code> write_response(connection::Socket& socket,
                                                           RequestState& state, bool keep_alive) {
  const Response& response = state.response;
  const RequestHead& request = *state.parser;
  const bool head_only = request.method == bhttp::verb::head;
  const std::string_view head = format_head(state.head, response, request.version, keep_alive);
  const std::array<asio::const_buffer, 4> buffers{
      asio::buffer(head), asio::buffer(head_only ? std::string_view() : response.prefix),
      asio::buffer(head_only || !response.shared ? std::string_view() : *response.shared),
      asio::buffer(head_only ? std::string_view() : response.tail.view())};
  const auto [ec, bytes] = co_await asio::async_write(socket, buffers, connection::use_nothrow);
  co_return ec;
}

// Reads until state holds a whole request head, and parses it into state.parser. Error codes:
// a read's (the client closed, or was too slow: nothing to answer), or a parse error.
connection::Task<boost::system::error_code> read_head(connection::Socket& socket,
                                                      RequestState& state,
                                                      const SessionLimits& limits) {
  // The head goes to the parser only once it is whole, so that the views the parser keeps
  // point into where it stays.
  std::size_t head_size = 0;
  for (std::size_t searched = 0;;) {
    const auto unparsed = state.unparsed();
    const auto end = unparsed.find("\r\n\r\n", searched);
    if (end != std::string_view::npos) {
      head_size = end + 4;
      break;
    }
    if (unparsed.size() > limits.max_header_bytes) co_return bhttp::error::header_limit;
    searched = unparsed.size() < 3 ? 0 : unparsed.size() - 3;
    // A head past the small buffer gets room for the largest one allowed, and then some.
    if (state.full()) state.grow(limits.max_header_bytes + RequestState::kSmall);
    const auto [ec, bytes] =
        co_await socket.async_read_some(state.free_space(), connection::use_nothrow);
    if (ec) co_return ec;
    state.filled(bytes);
  }
  RequestHead& head = state.parser.emplace();
  head.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  head.eager(false);
  boost::system::error_code ec;
  const auto unparsed = state.unparsed();
  const auto used = head.put(asio::buffer(unparsed.data(), head_size), ec);
  // A refused head stays whole, for the message that says what is wrong with it.
  if (!ec) state.consume(used);
  co_return ec;
}

bool is_parse_error(const boost::system::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::header_limit).category();
}

}  // namespace

connection::Task<> serve_http(connection::StreamConnection connection, const SessionLimits& limits,
                              const Router& router,
                              std::shared_ptr<const void> /*keeps limits and router*/) try {
  connection::Socket socket = connection.take_socket();
  Deadlines::Entry deadline(*connection.context, &cancel_socket, &socket);
  HeldState state;
  for (bool first = true;; first = false) {
    if (!state || state->buffered() == 0) {
      // Between requests the connection holds no buffer, only its socket's wait. A new
      // connection's wait is not cut by a stop (its client was accepted and its request may be
      // on its way, so the drain waits for it); a kept-alive one's is.
      state.release();
      if (first) {
        deadline.working(limits.request_timeout);
      } else {
        deadline.waiting(limits.idle_timeout);
        if (deadline.expired() != Deadlines::Expiry::none) break;
      }
      const auto [ec] = co_await socket.async_wait(tcp::socket::wait_read, connection::use_nothrow);
      if (ec) break;  // idle too long, stopping, or the connection is gone
      state.take();
    }

    // The head, from its first byte within request_timeout.
    deadline.working(limits.request_timeout);
    if (const auto ec = co_await read_head(socket, *state, limits)) {
      connection::log_connection(connection, spdlog::level::debug, "request not read: {}",
                                 ec.message());
      // Closed, reset, or too slow: nothing to answer, and nothing to linger for.
      if (!is_parse_error(ec)) co_return;
      state->response = answer_to_parse_error(ec, state->unparsed(), limits.max_header_bytes);
      state->parser.emplace();  // as for an HTTP/1.1 GET: the answer's head and body
      deadline.working(connection.listener->write_timeout);
      co_await write_response(socket, *state, false);
      break;
    }
    if (const auto request = request_for_router(*state)) {
      if (router.costly(*request)) {
        state->response = co_await asio::co_spawn(*connection.workers,
                                                  route_on_worker(&router, &*request, &connection),
                                                  asio::use_awaitable_t<connection::Executor>{});
      } else {
        state->response = route(router, *request, connection);
      }
    }
    const bool keep_alive = keeps_alive(*state, connection);
    deadline.working(connection.listener->write_timeout);
    if (const auto ec = co_await write_response(socket, *state, keep_alive)) {
      connection::log_connection(connection, spdlog::level::debug, "answer not written: {}",
                                 ec.message());
      co_return;
    }
    if (!keep_alive) break;
    state->response = Response{};
  }
  state.release();
  // A connection that timed out is closed; any other end may have the client's next bytes on
  // their way.
  if (deadline.expired() != Deadlines::Expiry::timeout) {
    co_await connection::lingering_close(socket, deadline);
  }
} catch (const std::exception& e) {
  connection::log_connection(connection, spdlog::level::err, "{}", e.what());
}

}  // namespace netsvcd::http
