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

// A head refused for `ec`: the answer that says why becomes state.response.
void refuse_head(RequestState& state, const error_code& ec, const SessionLimits& limits,
                 const StreamConnection& connection) {
  connection::log_connection(connection, spdlog::level::debug, "request not read: {}",
                             ec.message());
  state.response = answer_to_parse_error(ec, state.unparsed(), limits.max_header_bytes);
  state.parser.emplace();  // as for an HTTP/1.1 GET: the answer's head and body
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

// What the router is asked, for the head in state.parser; nullopt when the session answers it
// itself (state.response then holds the refusal).
std::optional<Request> request_for_router(RequestState& state) {
  const RequestHead& head = *state.parser;
  const auto target = parse_target(head.target);
  if (auto refused = refusal(head, target)) {
    state.response = std::move(*refused);
    return std::nullopt;
  }
  const auto& [path, query] = std::get<Target>(target);
  return Request{head.method_text, path, query, head.accept};
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

// route() on a worker thread, for a request the router says is costly; the connection's
// thread serves its other connections meanwhile.
asio::awaitable<Response, asio::io_context::executor_type> route_on_worker(
    const Router* router, const Request* request, const StreamConnection* connection) {
  co_return route(*router, *request, *connection);
}

// With state.response decided: whether the connection stays open after it, and its head.
void finish_answer(RequestState& state, const StreamConnection& connection) {
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
bool send_now(int fd, RequestState& state) {
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
  if (sent > 0) state.sent += static_cast<std::size_t>(sent);
  return sent >= 0 && static_cast<std::size_t>(sent) == left;
}

// -- a connection that waits ------------------------------------------------------------------

// Where a coroutine picks a connection up: bytes to read and parse, a parsed head to route, or
// an answer to write.
enum class Phase { read, route, write };

// One HTTP connection. Between requests, and while a request head trickles in, it is only this
// object, parked on its socket with a plain callback: no coroutine and no request buffer, just
// `inbox` for the bytes that end the wait and the few bytes of a partial head. When bytes come,
// a coroutine (work) takes a RequestState from the thread's pool, serves every request they
// hold, and parks the connection again. So an idle connection costs about what nginx's does.
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

Held make_connection(StreamConnection connection, const SessionLimits& limits, const Router& router,
                     std::shared_ptr<const void> owner) {
  return std::make_unique<HttpConnection>(std::move(connection), limits, router, std::move(owner));
}

void park(Held http);
connection::Task<> work(Held http, HeldState state, Phase phase);

void spawn_work(Held http, HeldState state, Phase phase) {
  asio::io_context& context = *http->stream.context;
  connection::spawn(context, work(std::move(http), std::move(state), phase));
}

// The end of a connection whose client may still be sending, in a coroutine of its own.
connection::Task<> close_lingering(Held http) try {
  co_await connection::lingering_close(http->socket, http->deadline);
} catch (const std::exception& e) {
  connection::log_connection(http->stream, spdlog::level::err, "{}", e.what());
}

// The parked connection's callback: its client sent bytes (or closed), or a deadline or the
// stop ended the wait.
void on_read(Held http, const error_code& ec, std::size_t bytes) {
  if (!ec) {
    http->inbox_size = bytes;
    return spawn_work(std::move(http), HeldState(), Phase::read);
  }
  // A connection that timed out or whose client closed is closed; one a stop ended may have
  // bytes on their way.
  if (http->deadline.expired() == Deadlines::Expiry::stopping) {
    asio::io_context& context = *http->stream.context;
    connection::spawn(context, close_lingering(std::move(http)));
  }
}

void park(Held http) {
  auto& connection = *http;
  connection.socket.async_read_some(
      asio::buffer(connection.inbox),
      [http = std::move(http)](const error_code& ec, std::size_t bytes) mutable {
        on_read(std::move(http), ec, bytes);
      });
}

// Serves every request the client's bytes hold, from `phase` on, reading what is there without
// waiting; then parks the connection, or closes it.
connection::Task<> work(Held http, HeldState state, Phase phase) try {
  auto& connection = http->stream;
  const SessionLimits& limits = http->limits;
  if (!state) {
    state.take();
    // The bytes that ended the wait; the first of them starts a request's request_timeout.
    if (http->partial_head.empty()) http->deadline.working(limits.request_timeout);
    state->append(http->partial_head);
    state->append({http->inbox.data(), http->inbox_size});
    http->partial_head = std::string();
  }
  for (bool answered = phase != Phase::read;;) {
    if (phase == Phase::read) {
      // Read until the head at the front is whole; park the connection when no more is there.
      auto head = find_head(state->unparsed(), limits.max_header_bytes);
      while (std::holds_alternative<std::size_t>(head) && std::get<std::size_t>(head) == 0) {
        if (state->full()) state->grow(limits.max_header_bytes + RequestState::kSmall);
        const auto room = state->free_space();
        // Right after an answer the client's next request is rarely there yet: park at once
        // rather than try a read that would only say so.
        const ssize_t got =
            answered && state->buffered() == 0
                ? (errno = EAGAIN, -1)
                : ::recv(http->socket.native_handle(), room.data(), room.size(), MSG_DONTWAIT);
        if (got > 0) {
          if (state->buffered() == 0) http->deadline.working(limits.request_timeout);
          state->filled(static_cast<std::size_t>(got));
          head = find_head(state->unparsed(), limits.max_header_bytes);
          continue;
        }
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
          if (state->buffered() == 0) {
            // Between requests: idle, which a stop ends at once.
            http->deadline.waiting(limits.idle_timeout);
            if (http->deadline.expired() != Deadlines::Expiry::none) break;
          } else {
            // Mid-head: the deadline of its first byte stands.
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
      const auto* size = std::get_if<std::size_t>(&head);
      if (size && parse_head(*state, *size, limits, connection)) {
        phase = Phase::route;
      } else {
        if (!size) refuse_head(*state, std::get<error_code>(head), limits, connection);
        finish_answer(*state, connection);
        phase = Phase::write;
      }
    }
    if (phase == Phase::route) {
      if (const auto request = request_for_router(*state)) {
        if (http->router.costly(*request)) {
          state->response = co_await asio::co_spawn(
              *connection.workers, route_on_worker(&http->router, &*request, &connection),
              asio::use_awaitable_t<connection::Executor>{});
        } else {
          state->response = route(http->router, *request, connection);
        }
      }
      finish_answer(*state, connection);
      phase = Phase::write;
    }
    http->deadline.working(connection.listener->write_timeout);
    const auto [ec, bytes] =
        co_await asio::async_write(http->socket, state->unsent(), connection::use_nothrow);
    if (ec) {
      connection::log_connection(connection, spdlog::level::debug, "answer not written: {}",
                                 ec.message());
      co_return;
    }
    if (!state->keep_alive) break;
    state->next_request();
    phase = Phase::read;
    answered = true;
  }
  state.release();
  // Answered and done, or stopping: the client may still be sending.
  co_await connection::lingering_close(http->socket, http->deadline);
} catch (const std::exception& e) {
  connection::log_connection(http->stream, spdlog::level::err, "{}", e.what());
}

}  // namespace

void serve_http(StreamConnection connection, const SessionLimits& limits, const Router& router,
                std::shared_ptr<const void> owner) {
  // First, without a coroutine or a registration with the event loop: most clients send their
  // request as they connect, and most answers fit the socket's buffer, so the whole exchange
  // can happen here, in the accepting call (recv, sendmsg, and close or park).
  HeldState state;
  state.take();
  const int fd = connection.socket.get();
  const auto room = state->free_space();
  const ssize_t got = ::recv(fd, room.data(), room.size(), MSG_DONTWAIT);
  if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return;
  if (got < 0) {
    // Nothing yet. The wait for a new connection's request is not cut by a stop: its client was
    // accepted and the request may be on its way, so the drain waits for it.
    state.release();
    auto http = make_connection(std::move(connection), limits, router, std::move(owner));
    http->deadline.working(limits.request_timeout);
    return park(std::move(http));
  }
  state->filled(static_cast<std::size_t>(got));

  Phase phase = Phase::read;
  const auto head = find_head(state->unparsed(), limits.max_header_bytes);
  const auto* size = std::get_if<std::size_t>(&head);
  if (size && *size > 0 && !parse_head(*state, *size, limits, connection)) {
    finish_answer(*state, connection);
    phase = Phase::write;
  } else if (size && *size > 0) {
    phase = Phase::route;
    const auto request = request_for_router(*state);
    if (!request || !router.costly(*request)) {
      if (request) state->response = route(router, *request, connection);
      finish_answer(*state, connection);
      phase = Phase::write;
      if (send_now(fd, *state)) {
        if (!state->keep_alive && !connection::has_unread_input(fd)) return;  // done: close
        if (state->keep_alive && state->buffered() == 0) {
          state.release();
          auto http = make_connection(std::move(connection), limits, router, std::move(owner));
          http->deadline.waiting(limits.idle_timeout);
          if (http->deadline.expired() != Deadlines::Expiry::none) {
            asio::io_context& context = *http->stream.context;
            return connection::spawn(context, close_lingering(std::move(http)));
          }
          return park(std::move(http));
        }
        if (!state->keep_alive) {
          // The client sent more than we read: a plain close would reset the connection.
          auto http = make_connection(std::move(connection), limits, router, std::move(owner));
          asio::io_context& context = *http->stream.context;
          return connection::spawn(context, close_lingering(std::move(http)));
        }
        // Pipelined: the next request is already here.
        state->next_request();
        phase = Phase::read;
      }
    }
  }
  // The rest in a coroutine: a head still coming, a parse error's answer, a costly request, or
  // an answer larger than the socket's buffer.
  auto http = make_connection(std::move(connection), limits, router, std::move(owner));
  http->deadline.working(limits.request_timeout);
  spawn_work(std::move(http), std::move(state), phase);
}

}  // namespace netsvcd::http
