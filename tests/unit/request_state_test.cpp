// Unit tests for daemon/http/request_state.* and response_head.*: the per-request buffer (what
// a parked connection's bytes become, growing past the small buffer), what is left to send of
// an answer after a partial write, when closing needs a lingering close, and the head written
// for a response.
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "http/request_state.hpp"
#include "http/response_head.hpp"

namespace {

using netsvcd::http::HeadBuffer;
using netsvcd::http::RequestState;
using netsvcd::http::Response;

std::string unsent_text(const RequestState& state) {
  std::string text;
  for (const auto& part : state.unsent())
    text.append(static_cast<const char*>(part.data()), part.size());
  return text;
}

}  // namespace

TEST_CASE("request state: bytes appended past the small buffer are all kept", "[http][state]") {
  RequestState state;
  const std::string partial(RequestState::kSmall - 10, 'p');
  const std::string inbox(64, 'i');
  state.append(partial, 9 * 1024);
  state.append(inbox, 9 * 1024);
  CHECK(state.buffered() == partial.size() + inbox.size());
  CHECK(state.unparsed() == partial + inbox);
  // Reading on goes on after them.
  const auto room = state.free_space();
  CHECK(room.size() == 9 * 1024 - partial.size() - inbox.size());
}

TEST_CASE("request state: what is unsent skips what a partial write sent", "[http][state]") {
  RequestState state;
  state.response.prefix.append("PRE");
  state.response.shared = std::make_shared<const std::string>("shared");
  state.response.tail.append("tail");
  state.head = "HEAD:";
  CHECK(state.answer_size() == 18);
  CHECK(unsent_text(state) == "HEAD:PREsharedtail");
  state.sent = 7;
  CHECK(unsent_text(state) == "Esharedtail");
  state.sent = 18;
  CHECK(unsent_text(state).empty());
}

TEST_CASE("request state: closing lingers only when bytes may be on their way", "[http][state]") {
  RequestState state;
  auto room = state.free_space();
  state.filled(10, room.size());
  CHECK(state.closing_needs_linger());  // bytes read and not answered: a pipelining client
  state.consume(10);
  CHECK_FALSE(state.closing_needs_linger());
  room = state.free_space();
  state.filled(room.size(), room.size());  // the read filled its room: more may wait
  state.consume(room.size());
  CHECK(state.closing_needs_linger());
  state.next_request();  // a fact of the socket, not of one request
  CHECK(state.closing_needs_linger());
  state.clear();
  CHECK_FALSE(state.closing_needs_linger());
}

TEST_CASE("response head: status line, fields and the Connection field by version",
          "[http][head]") {
  Response response;
  response.status = 405;
  response.allow = "GET, HEAD";
  response.prefix.append("12345");
  HeadBuffer buffer;
  const std::string head(netsvcd::http::format_head(buffer, response, 11, false));
  CHECK(head.starts_with("HTTP/1.1 405 Method Not Allowed\r\nServer: netsvcd/"));
  CHECK(head.find("\r\nDate: ") != std::string::npos);
  CHECK(
      head.ends_with("\r\nContent-Type: application/json\r\nContent-Length: 5\r\n"
                     "Allow: GET, HEAD\r\nConnection: close\r\n\r\n"));
  const std::string kept(netsvcd::http::format_head(buffer, response, 11, true));
  CHECK(kept.find("Connection:") == std::string::npos);
  const std::string old_kept(netsvcd::http::format_head(buffer, response, 10, true));
  CHECK(old_kept.starts_with("HTTP/1.0 405 "));
  CHECK(old_kept.ends_with("Connection: keep-alive\r\n\r\n"));
  const std::string old_closed(netsvcd::http::format_head(buffer, response, 10, false));
  CHECK(old_closed.find("Connection:") == std::string::npos);
}
