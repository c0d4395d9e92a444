#include "http/session.hpp"

#include <array>
#include <cstring>
#include <cerrno>
#include <ctime>
#include <sys/socket.h>
#include <optional>
#include <variant>
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

// Where the head of the request at the front of `state` ends, if it is whole; a parse error if
// it cannot be (longer than the limit without its end).
std::variant<std::size_t, boost::system::error_code> find_head(const RequestState& state,
                                                               const SessionLimits& limits) {
  const auto unparsed = state.unparsed();
  if (const auto end = unparsed.find("\r\n\r\n"); end != std::string_view::npos) {
    return end + 4;
  }
  if (unparsed.size() > limits.max_header_bytes) {
    return boost::system::error_code(bhttp::error::header_limit);
  }
  return std::size_t{0};
}

// Parses the whole head of `head_size` bytes at the front of `state` into state.parser. The
// parser sees a head only once it is whole, so that the views it keeps point where it stays.
boost::system::error_code parse_head(RequestState& state, std::size_t head_size,
                                     const SessionLimits& limits) {
  RequestHead& head = state.parser.emplace();
  head.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  head.eager(false);
  boost::system::error_code ec;
  const auto unparsed = state.unparsed();
  const auto used = head.put(asio::buffer(unparsed.data(), head_size), ec);
  // A refused head stays whole, for the message that says what is wrong with it.
  if (!ec) state.consume(used);
  return ec;
}

// One HTTP connection. Between requests, and while a request head trickles in, it is only this
// object, parked on its socket's readiness with a plain callback: no coroutine, no buffer, the
// few bytes of a partial head in `partial_head`. When bytes come, a coroutine (work) takes a
// RequestState from the thread's pool and serves every request they hold, then parks it again.
// So an idle connection costs about what nginx's does. Used only by its connection's thread.
struct HttpConnection {
  HttpConnection(connection::StreamConnection from, const SessionLimits& limits,
                 const Router& router, std::shared_ptr<const void> owner)
      : stream(std::move(from)),
        socket(stream.take_socket()),
        deadline(*stream.context, &cancel_socket, &socket),
        limits(limits),
        router(router),
        owner(std::move(owner)) {}

  connection::StreamConnection stream;  // its descriptor is `socket`'s now
  connection::Socket socket;
  Deadlines::Entry deadline;
  const SessionLimits& limits;
  const Router& router;
  std::shared_ptr<const void> owner;  // keeps `limits` and `router` alive
  std::string partial_head;          // while parked mid-head
};
using Held = std::unique_ptr<HttpConnection>;

void park(Held connection);
connection::Task<> work(Held connection);

// The end of a connection whose client may still be sending, in a coroutine of its own.
connection::Task<> close_lingering(Held http) try {
  co_await connection::lingering_close(http->socket, http->deadline);
} catch (const std::exception& e) {
  connection::log_connection(http->stream, spdlog::level::err, "{}", e.what());
}

void spawn(Held http, connection::Task<> (*coroutine)(Held)) {
  asio::io_context& context = *http->stream.context;
  connection::spawn(context, coroutine(std::move(http)));
}

// The parked connection's callback: its client sent bytes (or closed), or a deadline or the
// stop ended the wait.
void on_readable(Held http, const boost::system::error_code& ec) {
  if (!ec) return spawn(std::move(http), &work);
  // A connection that timed out is closed; one a stop ended may have bytes on their way.
  if (http->deadline.expired() == Deadlines::Expiry::stopping) {
    spawn(std::move(http), &close_lingering);
  }
}

void park(Held http) {
  auto& socket = http->socket;
  socket.async_wait(tcp::socket::wait_read,
                    [http = std::move(http)](const boost::system::error_code& ec) mutable {
                      on_readable(std::move(http), ec);
                    });
}

// Serves every request the client's bytes hold, reading what is there without waiting; then
// parks the connection, or closes it.
connection::Task<> work(Held http) try {
  auto& connection = http->stream;
  const SessionLimits& limits = http->limits;
  HeldState state;
  state.take();
  if (!http->partial_head.empty()) {
    const auto room = state->free_space();
    std::memcpy(room.data(), http->partial_head.data(), http->partial_head.size());
    state->filled(http->partial_head.size());
    http->partial_head = std::string();
  }
  for (bool answered = false;; answered = true) {
    // Read until the head at the front is whole; park the connection when no more is there.
    auto head_size = find_head(*state, limits);
    while (std::holds_alternative<std::size_t>(head_size) && std::get<std::size_t>(head_size) == 0) {
      // A head past the small buffer gets room for the largest one allowed, and then some.
      if (state->full()) state->grow(limits.max_header_bytes + RequestState::kSmall);
      const auto room = state->free_space();
      // Right after an answer the client's next request is rarely there yet: park at once
      // rather than try a read that would only say so.
      const ssize_t got =
          answered && state->buffered() == 0
              ? (errno = EAGAIN, -1)
              : ::recv(http->socket.native_handle(), room.data(), room.size(), MSG_DONTWAIT);
      if (got > 0) {
        // A request's first byte starts its request_timeout.
        if (state->buffered() == 0) http->deadline.working(limits.request_timeout);
        state->filled(static_cast<std::size_t>(got));
        head_size = find_head(*state, limits);
        continue;
      }
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (state->buffered() == 0) {
          // Between requests: idle, which a stop ends at once.
          http->deadline.waiting(limits.idle_timeout);
          if (http->deadline.expired() != Deadlines::Expiry::none) break;
        } else {
          http->partial_head.assign(state->unparsed());
        }
        state.release();
        co_return park(std::move(http));
      }
      // Closed or reset: nothing to answer, and nothing to linger for.
      connection::log_connection(connection, spdlog::level::debug, "request not read: {}",
                                 got == 0 ? "the client closed" : std::strerror(errno));
      co_return;
    }
    if (http->deadline.expired() != Deadlines::Expiry::none) break;  // stopping while idle

    boost::system::error_code parse_ec;
    if (const auto* error = std::get_if<boost::system::error_code>(&head_size)) {
      parse_ec = *error;
    } else {
      parse_ec = parse_head(*state, std::get<std::size_t>(head_size), limits);
    }
    if (parse_ec) {
      connection::log_connection(connection, spdlog::level::debug, "request not read: {}",
                                 parse_ec.message());
      state->response = answer_to_parse_error(parse_ec, state->unparsed(), limits.max_header_bytes);
      state->parser.emplace();  // as for an HTTP/1.1 GET: the answer's head and body
      http->deadline.working(connection.listener->write_timeout);
      co_await write_response(http->socket, *state, false);
      break;
    }
    if (const auto request = request_for_router(*state)) {
      if (http->router.costly(*request)) {
        state->response = co_await asio::co_spawn(
            *connection.workers, route_on_worker(&http->router, &*request, &connection),
            asio::use_awaitable_t<connection::Executor>{});
      } else {
        state->response = route(http->router, *request, connection);
      }
    }
    const bool keep_alive = keeps_alive(*state, connection);
    http->deadline.working(connection.listener->write_timeout);
    if (const auto ec = co_await write_response(http->socket, *state, keep_alive)) {
      connection::log_connection(connection, spdlog::level::debug, "answer not written: {}",
                                 ec.message());
      co_return;
    }
    if (!keep_alive) break;
    state->response = Response{};
  }
  state.release();
  // Answered and done, or stopping: the client may still be sending.
  co_await connection::lingering_close(http->socket, http->deadline);
} catch (const std::exception& e) {
  connection::log_connection(http->stream, spdlog::level::err, "{}", e.what());
}

}  // namespace

void serve_http(connection::StreamConnection connection, const SessionLimits& limits,
                const Router& router, std::shared_ptr<const void> owner) {
  auto http = std::make_unique<HttpConnection>(std::move(connection), limits, router,
                                               std::move(owner));
  // A new connection's wait for its request is not cut by a stop: its client was accepted and
  // the request may be on its way, so the drain waits for it, up to request_timeout.
  http->deadline.working(limits.request_timeout);
  park(std::move(http));
}

}  // namespace netsvcd::http
