#include "http/session.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <variant>

#include <spdlog/spdlog.h>
#include <boost/beast/http/error.hpp>

#include "connection/deadlines.hpp"
#include "connection/lingering_close.hpp"
#include "connection/send_and_close.hpp"
#include "http/request_head.hpp"
#include "http/request_state.hpp"
#include "http/request_target.hpp"
#include "http/response_head.hpp"
#include "log.hpp"

namespace netsvcd::http {
namespace {

namespace bhttp = boost::beast::http;
using connection::Deadlines;
using connection::StreamConnection;
using error_code = boost::system::error_code;

// -- what a request gets, whoever serves it -------------------------------------------------

// The answer to a request head the parser refused.
Response answer_to_parse_error(const error_code& ec, std::string_view unparsed,
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

// A head refused for `ec`: the answer that says why becomes state.response, and the
// connection closes after it.
void refuse_head(RequestState& state, const error_code& ec, const SessionLimits& limits,
                 const StreamConnection& connection) {
  connection::log_connection(connection, spdlog::level::debug, "request not read: {}",
                             ec.message());
  state.response = answer_to_parse_error(ec, state.unparsed(), limits.max_header_bytes);
  state.parser.reset();
  state.refused = true;
}

// Parses the whole head of `size` bytes at the front of `state`; on failure, refuses it (the
// head stays unconsumed, for the message).
bool parse_head(RequestState& state, std::size_t size, const SessionLimits& limits,
                const StreamConnection& connection) {
  error_code ec;
  const auto used =
      state.parser.emplace().parse(state.unparsed().substr(0, size), limits.max_header_bytes, ec);
  if (ec) {
    refuse_head(state, ec, limits, connection);
    return false;
  }
  state.consume(used);
  return true;
}

// The answer to a request the session refuses before any router sees it, or nullopt.
std::optional<Response> refusal(const RequestHead& head,
                                const std::variant<Target, std::string>& target) {
  const bool safe_method = head.method == bhttp::verb::get || head.method == bhttp::verb::head;
  if (!head.is_done() && safe_method)
    return error_response(400, "a GET or HEAD request has no body");
  // Required even with an absolute-form target, whose authority then stands in for it
  // (RFC 9112 §3.2 and §3.2.2); nginx does the same.
  if (head.version >= 11 && !head.has_host) {
    return error_response(400, "an HTTP/1.1 request needs a Host header");
  }
  if (const auto* problem = std::get_if<std::string>(&target)) return error_response(400, *problem);
  return std::nullopt;
}

// What the router is asked, for the head in state.parser, from `connection`'s client; nullopt
// when the session answers it itself (state.response then holds the refusal).
std::optional<Request> request_for_router(RequestState& state, const StreamConnection& connection) {
  const RequestHead& head = *state.parser;
  const auto target = parse_target(head.target);
  if (auto refused = refusal(head, target)) {
    state.response = std::move(*refused);
    return std::nullopt;
  }
  const auto& [path, query] = std::get<Target>(target);
  return Request{head.method_text, path, query, head.accept, connection.peer.address};
}

// The router's answer; a router that fails (out of memory, or a bug) gets the client a 500,
// not a dropped connection.
Response route(const Router& router, const Request& request, const StreamConnection& connection) {
  try {
    return router.route(request);
  } catch (const std::exception& e) {
    connection::log_connection(connection, spdlog::level::err, "{} {}{}{}: {}", request.method,
                               request.path, request.query.empty() ? "" : "?", request.query,
                               e.what());
    return error_response(500, "internal error");
  }
}

// With state.response decided: whether the connection stays open after it, and its head.
void finish_answer(RequestState& state, const StreamConnection& connection) {
  connection::ListenerStats& stats = *connection.listener->stats;
  stats.answered(state.response.status, std::chrono::steady_clock::now() - state.started);
  if (state.response.cache != CacheUse::none)
    stats.cache_used(state.response.cache == CacheUse::hit);
  if (state.refused) {
    // A head that was not parsed: answered as HTTP/1.1, and the connection closes.
    state.keep_alive = false;
    state.head = format_head(state.head_buffer, state.response, 11, false);
    return;
  }
  const RequestHead& head = *state.parser;
  connection::log_connection(connection, spdlog::level::debug, "{} {} {}", head.method_text,
                             head.target, state.response.status);
  // A body we did not read (refused) closes the connection after the answer.
  state.keep_alive = head.keep_alive() && head.is_done() && state.response.status < 500 &&
                     !Deadlines::of(*connection.context).stopping();
  state.head = format_head(state.head_buffer, state.response, head.version, state.keep_alive);
}

// Writes what the kernel takes at once of the answer; false if some is left (or the write
// failed: the connection is gone, and the caller's next write says so).
bool send_now(int fd, RequestState& state, const StreamConnection& connection) {
  const auto parts = state.unsent();
  std::array<iovec, 4> vectors{};
  std::size_t count = 0;
  std::size_t left = 0;
  for (const auto& part : parts) {
    if (part.size() == 0) continue;
    vectors[count++] = {const_cast<void*>(part.data()), part.size()};
    left += part.size();
  }
  msghdr message{};
  message.msg_iov = vectors.data();
  message.msg_iovlen = count;
  const ssize_t sent = ::sendmsg(fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (sent > 0) {
    state.sent += static_cast<std::size_t>(sent);
    connection.listener->stats->sent(static_cast<std::size_t>(sent));
  }
  return sent >= 0 && static_cast<std::size_t>(sent) == left;
}

// A costly request, answered on a worker thread: route(), then as much of the answer as the
// socket takes at once, so that the worker, not the connection's thread, also pays for sending
// a large answer. The connection's coroutine waits meanwhile and touches neither `state` nor the
// socket; it writes what is left.
asio::awaitable<void, asio::io_context::executor_type> answer_on_worker(
    const Router* router, RequestState* state, const StreamConnection* connection, int fd) {
  if (const auto request = request_for_router(*state, *connection)) {
    state->response = route(*router, *request, *connection);
  }
  finish_answer(*state, *connection);
  send_now(fd, *state, *connection);
  co_return;
}

// -- serving what is ready, without waiting ---------------------------------------------------

// What serving the bytes at hand comes to, when it stops.
enum class Then {
  wait_first,    // a new connection's client has sent nothing yet
  wait_head,     // a head has begun and not ended
  wait_next,     // answered; the client's next request has not come (idle)
  close,         // answered, connection closing, nothing on its way from the client
  linger,        // answered, connection closing, bytes may be on their way
  route_costly,  // a costly request, parsed, for a worker thread (state.parser)
  write_rest,    // an answer that the socket did not take all at once (state.sent)
  yield,         // answered a batch; more may be buffered: go on after the thread's other work
};

// Requests one call serves before it lets the thread's other connections have their turn: a
// client that pipelines without end must not hold the thread.
constexpr int kRequestsPerCall = 16;

// Serves every request the bytes at hand hold, reading more while the kernel has some, with
// no wait and no coroutine: parses each head, answers it (a cheap request is routed here) and
// sends the answer, for as long as all of it goes at once. `deadline` (when the connection has
// one yet) is given each new request's request_timeout at its first byte. Used by the accepting
// call, by the parked connection's callback and by work().
Then serve_ready(int fd, RequestState& state, const Router& router, const SessionLimits& limits,
                 const StreamConnection& connection, Deadlines::Entry* deadline, bool answered) {
  for (int served = 0;; ++served) {
    if (served == kRequestsPerCall) return Then::yield;
    const auto next_head = [&] {
      // RFC 9112 §2.2: empty lines before a request line are ignored.
      while (state.unparsed().starts_with("\r\n"))
        state.consume(2);
      return find_head(state.unparsed(), limits.max_header_bytes);
    };
    auto head = next_head();
    while (std::holds_alternative<std::size_t>(head) && std::get<std::size_t>(head) == 0) {
      // Right after an answer the client's next request is rarely there yet: stop at once
      // rather than try a read that would only say so.
      if (answered && state.buffered() == 0) return Then::wait_next;
      if (state.full()) state.grow(limits.max_header_bytes + RequestState::kSmall);
      const auto room = state.free_space();
      const ssize_t got = ::recv(fd, room.data(), room.size(), MSG_DONTWAIT);
      if (got > 0) {
        if (state.buffered() == 0 && deadline) deadline->working(limits.request_timeout);
        state.filled(static_cast<std::size_t>(got), room.size());
        head = next_head();
        continue;
      }
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (state.buffered() > 0) return Then::wait_head;
        return answered ? Then::wait_next : Then::wait_first;
      }
      // Closed or reset: nothing to answer, and nothing to linger for.
      connection::log_connection(connection, spdlog::level::debug, "request not read: {}",
                                 got == 0 ? "the client closed" : std::strerror(errno));
      return Then::close;
    }
    const auto* size = std::get_if<std::size_t>(&head);
    state.started = std::chrono::steady_clock::now();
    if (!size) {
      refuse_head(state, std::get<error_code>(head), limits, connection);
    } else if (parse_head(state, *size, limits, connection)) {
      if (const auto request = request_for_router(state, connection)) {
        if (router.costly(*request)) return Then::route_costly;
        state.response = route(router, *request, connection);
      }
    }
    finish_answer(state, connection);
    if (!send_now(fd, state, connection)) return Then::write_rest;
    if (!state.keep_alive) return state.closing_needs_linger() ? Then::linger : Then::close;
    state.next_request();
    // The next request has begun if its bytes are here: its request_timeout starts now.
    if (deadline && state.buffered() > 0) deadline->working(limits.request_timeout);
    answered = true;
  }
}

// -- a connection that waits ------------------------------------------------------------------

// One HTTP connection that has had to wait. Between requests, and while a request head trickles
// in, it is only this object, parked on its socket with a plain callback: no coroutine and no
// request buffer, just `inbox` for the bytes that end the wait and the few bytes of a partial
// head. When bytes come, the callback takes a RequestState from the thread's pool and serves
// what is ready (serve_ready); a coroutine (work) takes over only for a costly request or an
// answer the socket cannot take at once. So an idle connection costs about what nginx's does.
// Used only by its connection's thread.
struct HttpConnection {
  HttpConnection(StreamConnection from, const SessionLimits& limits, const Router& router,
                 std::shared_ptr<const void> owner)
      : stream(std::move(from)),
        socket(stream.take_socket()),
        deadline(*stream.context, &cancel_socket, &socket),
        limits(limits),
        router(router),
        owner(std::move(owner)) {}

  static void cancel_socket(void* socket) {
    error_code ignored;
    static_cast<connection::Socket*>(socket)->cancel(ignored);
  }

  StreamConnection stream;  // its descriptor is `socket`'s now
  connection::Socket socket;
  Deadlines::Entry deadline;
  const SessionLimits& limits;
  const Router& router;
  std::shared_ptr<const void> owner;  // keeps `limits` and `router` alive
  std::string partial_head;           // while parked mid-head
  // The parked read lands here: small, since an idle connection holds it, and large enough for
  // a short request. Reading (rather than only waiting for readiness) lets Asio leave the
  // socket's epoll registration as it is, where a wait would modify it each time.
  std::array<char, 64> inbox;
  std::size_t inbox_size = 0;
};
using Held = std::unique_ptr<HttpConnection>;

void park(Held http);
void resume(Held http, HeldState state);
connection::Task<> work(Held http, HeldState state, Then then);

// The end of a connection whose client may still be sending, in a coroutine of its own.
connection::Task<> close_lingering(Held http) try {
  co_await connection::lingering_close(http->socket, http->deadline);
} catch (const std::exception& e) {
  connection::log_connection(http->stream, spdlog::level::err, "{}", e.what());
}

// Does what serve_ready stopped at.
void carry_on(Then then, Held http, HeldState state) {
  asio::io_context& context = *http->stream.context;
  switch (then) {
    case Then::wait_first:
      // Not cut by a stop: the client was accepted and its request may be on its way, so the
      // drain waits for it, up to request_timeout.
      http->deadline.working(http->limits.request_timeout);
      break;
    case Then::wait_head:
      // The deadline of the head's first byte stands.
      http->partial_head.assign(state->unparsed());
      break;
    case Then::wait_next:
      // Idle, which a stop ends at once.
      http->deadline.waiting(http->limits.idle_timeout);
      if (http->deadline.expired() != Deadlines::Expiry::none) then = Then::linger;
      break;
    case Then::close:
      return;
    case Then::route_costly:
    case Then::write_rest:
      return connection::spawn(context, work(std::move(http), std::move(state), then));
    case Then::yield:
      return asio::post(context, [http = std::move(http), state = std::move(state)]() mutable {
        resume(std::move(http), std::move(state));
      });
    case Then::linger:
      break;
  }
  state.release();
  if (then == Then::linger) return connection::spawn(context, close_lingering(std::move(http)));
  park(std::move(http));
}

// The parked connection's callback: its client sent bytes (or closed), or a deadline or the
// stop ended the wait.
void on_read(Held http, const error_code& ec, std::size_t bytes) {
  // Bytes that came as the deadline passed do not revive a connection that timed out.
  if (!ec && http->deadline.expired() == Deadlines::Expiry::timeout) return;
  if (ec) {
    // A connection that timed out or whose client closed is closed; one a stop ended may have
    // bytes on their way.
    if (http->deadline.expired() == Deadlines::Expiry::stopping) {
      asio::io_context& context = *http->stream.context;
      connection::spawn(context, close_lingering(std::move(http)));
    }
    return;
  }
  HeldState state;
  state.take();
  // The first byte of a request starts its request_timeout.
  if (http->partial_head.empty()) http->deadline.working(http->limits.request_timeout);
  const auto large = http->limits.max_header_bytes + RequestState::kSmall;
  state->append(http->partial_head, large);
  state->append({http->inbox.data(), bytes}, large);
  state->more_may_wait = bytes == http->inbox.size();
  http->partial_head = std::string();
  const Then then = serve_ready(http->socket.native_handle(), *state, http->router, http->limits,
                                http->stream, &http->deadline, false);
  carry_on(then, std::move(http), std::move(state));
}

// Serving goes on, after the thread's other work, with the bytes already buffered.
void resume(Held http, HeldState state) {
  const Then then = serve_ready(http->socket.native_handle(), *state, http->router, http->limits,
                                http->stream, &http->deadline, true);
  carry_on(then, std::move(http), std::move(state));
}

void park(Held http) {
  auto& connection = *http;
  connection.socket.async_read_some(
      asio::buffer(connection.inbox),
      [http = std::move(http)](const error_code& ec, std::size_t bytes) mutable {
        on_read(std::move(http), ec, bytes);
      });
}

// What needs a wait in the middle of a request: a costly request's route() on a worker thread,
// or the rest of an answer the socket did not take at once (within write_timeout). Then the
// connection goes on as serve_ready does.
connection::Task<> work(Held http, HeldState state, Then then) try {
  auto& connection = http->stream;
  const int fd = http->socket.native_handle();
  while (then == Then::route_costly || then == Then::write_rest) {
    if (then == Then::route_costly) {
      co_await asio::co_spawn(*connection.workers,
                              answer_on_worker(&http->router, &*state, &connection, fd),
                              asio::use_awaitable_t<connection::Executor>{});
    }
    http->deadline.working(connection.listener->write_timeout);
    const auto [ec, bytes] =
        co_await asio::async_write(http->socket, state->unsent(), connection::use_nothrow);
    connection.listener->stats->sent(bytes);
    if (ec) {
      connection::log_connection(connection, spdlog::level::debug, "answer not written: {}",
                                 ec.message());
      co_return;
    }
    if (!state->keep_alive) {
      then = state->closing_needs_linger() ? Then::linger : Then::close;
      break;
    }
    state->next_request();
    if (state->buffered() > 0) http->deadline.working(http->limits.request_timeout);
    then = serve_ready(fd, *state, http->router, http->limits, connection, &http->deadline, true);
  }
  carry_on(then, std::move(http), std::move(state));
} catch (const std::exception& e) {
  // `http` is empty if the connection was handed on when this was thrown.
  if (http) connection::log_connection(http->stream, spdlog::level::err, "{}", e.what());
}

}  // namespace

void serve_http(StreamConnection connection, const SessionLimits& limits, const Router& router,
                std::shared_ptr<const void> owner) {
  // First, with neither a coroutine nor an epoll registration: most clients send their request
  // as they connect, and most answers fit the socket's buffer, so the whole exchange often
  // happens here, in the accepting call (recv, sendmsg, close), as in a hand-written server.
  HeldState state;
  state.take();
  const Then then =
      serve_ready(connection.socket.get(), *state, router, limits, connection, nullptr, false);
  if (then == Then::close) return;
  auto http =
      std::make_unique<HttpConnection>(std::move(connection), limits, router, std::move(owner));
  // A head begun here has its request_timeout from now.
  if (then == Then::wait_head) http->deadline.working(limits.request_timeout);
  carry_on(then, std::move(http), std::move(state));
}

std::size_t answer_busy(const UniqueFd& socket) {
  // Rendered once; only the Date changes, so the head is formatted per refusal, on the stack.
  static const Response busy = [] {
    Response response = error_response(503, "too many connections: try again later");
    response.retry_after = 1;
    return response;
  }();
  static const std::string body = busy.body();
  HeadBuffer buffer;
  return connection::send_without_waiting(socket, format_head(buffer, busy, 11, false), body);
}

}  // namespace netsvcd::http
