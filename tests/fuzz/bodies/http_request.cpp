// The word finder's HTTP path. First pass, without sockets: the request heads in the input
// found and parsed as the session does it (find_head, RequestHead), their targets reduced
// (parse_target), refused or routed (WordfinderRouter::route), and each answer checked: a
// status with a reason, a JSON body that parses, an Allow with a 405, and a head from
// format_head that is whole and well-formed. Second pass: the same bytes sent by a client
// through a socketpair to the real session (serve_http, on an io_context polled here), which
// must answer exactly the statuses the first pass predicts, each a response that parses, and
// then close.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <nlohmann/json.hpp>

#include "asio.hpp"
#include "connection/stream_connection.hpp"
#include "fuzz_targets.hpp"
#include "http/request_head.hpp"
#include "http/request_target.hpp"
#include "http/response_head.hpp"
#include "http/session.hpp"
#include "wordfinder/router.hpp"
#include "wordfinder/word_index.hpp"

namespace netsvcd::fuzz {
namespace {

namespace bhttp = boost::beast::http;
using http::Response;

// Small, so that the fuzzer reaches the 414 and 431 answers and the buffer's growth soon.
constexpr std::size_t kMaxHeaderBytes = 1024;

const std::shared_ptr<const wordfinder::WordIndex>& index() {
  static const auto loaded = wordfinder::WordIndex::load_text(
      "a\nab\nabs\nace\nacre\nale\nare\near\nera\nlax\nrelax\nreal\naxle\nlaxer\nzoo\nox\n"
      "lexical\ncare\nrace\nacres\nscare\nzebra\nquiz\nquartz\n",
      "fuzz-words");
  return loaded.index;
}

// What the session answers to a request, as far as a client can tell.
struct Answer {
  unsigned status;
  bool head;  // to a HEAD request: no body follows
};

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

bool is_field_text(std::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t') || byte == 0x7f) return false;
  }
  return true;
}

void check_response(const Response& response, bool json_body) {
  const std::string status = std::to_string(response.status);
  check(response.status >= 100 && response.status <= 599, "status " + status);
  const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(response.status));
  check(reason != "<unknown-status>", "status " + status + " has no reason phrase");
  check(!response.content_type.empty() && is_field_text(response.content_type),
        "a bad Content-Type with " + status);
  check(is_field_text(response.allow), "a bad Allow with " + status);
  check(response.status != 405 || !response.allow.empty(), "a 405 without Allow");
  const std::string body = response.body();
  check(body.size() == response.body_size(), "body_size() is not the body's size");
  if (json_body && response.content_type == "application/json") {
    check(nlohmann::json::accept(body), "a JSON answer that does not parse: " + body);
  }
}

// format_head's output for `response`: a status line and fields, each ending in CRLF, then an
// empty line; the Content-Length the body's.
void check_head(const Response& response, int version, bool keep_alive) {
  http::HeadBuffer buffer;
  const std::string_view head = http::format_head(buffer, response, version, keep_alive);
  check(head.starts_with(version >= 11 ? "HTTP/1.1 " : "HTTP/1.0 "), "a bad status line");
  check(head.ends_with("\r\n\r\n"), "a head cut short (or without its empty line)");
  for (std::size_t i = 0; i < head.size(); ++i) {
    if (head[i] == '\n') check(i > 0 && head[i - 1] == '\r', "a bare LF in the head");
    if (head[i] == '\r') check(i + 1 < head.size() && head[i + 1] == '\n', "a bare CR");
  }
  bhttp::response_parser<bhttp::string_body> parser;
  parser.skip(true);
  boost::system::error_code ec;
  parser.put(asio::buffer(head.data(), head.size()), ec);
  check(!ec && parser.is_header_done(), "format_head's head does not parse: " + ec.message());
  check(parser.get().result_int() == response.status, "the head has another status");
  check(parser.content_length() && *parser.content_length() == response.body_size(),
        "the head's Content-Length is not the body's size");
  check(parser.get().keep_alive() == keep_alive, "the head says otherwise about keep-alive");
}

// The session's answer to a head the parser refused (session.cpp's answer_to_parse_error).
unsigned refused_status(const boost::system::error_code& ec, std::string_view unparsed) {
  if (ec != bhttp::error::header_limit) return 400;
  return unparsed.substr(0, kMaxHeaderBytes).find('\n') != std::string_view::npos ? 431 : 414;
}

// The first pass: the answers the session must give to `input`, in order.
std::vector<Answer> predict(std::string_view input, const wordfinder::WordfinderRouter& router) {
  std::vector<Answer> answers;
  for (;;) {
    while (input.starts_with("\r\n"))
      input.remove_prefix(2);
    const auto found = http::find_head(input, kMaxHeaderBytes);
    if (const auto* ec = std::get_if<boost::system::error_code>(&found)) {
      answers.push_back({refused_status(*ec, input), false});
      return answers;
    }
    const std::size_t size = std::get<std::size_t>(found);
    if (size == 0) return answers;  // the client closes mid-head: no answer
    check(size <= input.size() && input.substr(0, size).ends_with("\r\n\r\n"),
          "find_head's size is not a head's");

    http::RequestHead head;
    boost::system::error_code ec;
    const std::string_view text = input.substr(0, size);
    const std::size_t used = head.parse(text, kMaxHeaderBytes, ec);
    if (ec) {
      answers.push_back({refused_status(ec, input), false});
      return answers;
    }
    check(used <= size, "the parser used more than the head");
    check(inside(head.method_text, text) && inside(head.target, text) && inside(head.accept, text),
          "a view of the head points outside it");
    check(head.version == 10 || head.version == 11, "version " + std::to_string(head.version));
    input.remove_prefix(used);

    // session.cpp's refusal(), then the router.
    const auto target = http::parse_target(head.target);
    if (const auto* parts = std::get_if<http::Target>(&target)) {
      check(parts->path.starts_with('/'), "a target's path without its '/'");
    }
    const bool safe = head.method == bhttp::verb::get || head.method == bhttp::verb::head;
    Response response;
    bool routed = false;
    if (!head.is_done() && safe) {
      response = http::error_response(400, "a GET or HEAD request has no body");
    } else if (head.version >= 11 && !head.has_host) {
      response = http::error_response(400, "an HTTP/1.1 request needs a Host header");
    } else if (const auto* problem = std::get_if<std::string>(&target)) {
      response = http::error_response(400, *problem);
    } else {
      const auto& parts = std::get<http::Target>(target);
      // From the client through_session's connection names.
      const http::Request request{head.method_text, parts.path, parts.query, head.accept,
                                  asio::ip::make_address("127.0.0.1")};
      try {
        response = router.route(request);
      } catch (const std::exception&) {
        response = http::error_response(500, "internal error");
      }
      router.costly(request);
      routed = true;
    }
    check_response(response, true);
    if (!routed) check(response.status == 400, "a refusal that is not a 400");
    const bool keep_alive = head.keep_alive() && head.is_done() && response.status < 500;
    check_head(response, head.version, keep_alive);
    answers.push_back({response.status, head.method == bhttp::verb::head});
    if (!keep_alive) return answers;
  }
}

// The second pass: `input` from a client through the real session; what the client received.
std::string through_session(std::string_view input, const wordfinder::WordfinderRouter& router) {
  static const auto listener = std::make_shared<connection::ListenerInfo>(
      "fuzz", std::chrono::seconds(10), std::make_shared<connection::ListenerStats>());
  int fds[2];
  check(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0,
        std::string("socketpair: ") + std::strerror(errno));
  const UniqueFd client(fds[1]);
  asio::io_context context;
  asio::io_context workers;
  // As the daemon's pool threads do, both wait for work that has not come yet: an io_context
  // that ran out of work would take none after it without a restart().
  auto keep_context = asio::make_work_guard(context);
  auto keep_workers = asio::make_work_guard(workers);
  {
    connection::StreamConnection accepted;
    accepted.socket = UniqueFd(fds[0]);
    accepted.peer = {asio::ip::make_address("127.0.0.1"), 40000};
    accepted.listener = listener.get();
    accepted.context = &context;
    accepted.workers = &workers;
    accepted.pin();

    std::size_t sent = 0;
    const auto send_more = [&] {
      while (sent < input.size()) {
        const ssize_t n = ::send(client.get(), input.data() + sent, input.size() - sent,
                                 MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n <= 0) return;
        sent += static_cast<std::size_t>(n);
      }
      ::shutdown(client.get(), SHUT_WR);
    };
    send_more();
    const http::SessionLimits limits{std::chrono::seconds(10), std::chrono::seconds(30),
                                     kMaxHeaderBytes};
    http::serve_http(std::move(accepted), limits, router, nullptr);

    std::string received;
    bool closed = false;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!closed) {
      std::size_t ran = context.poll() + workers.poll();
      if (sent < input.size()) send_more();
      for (;;) {
        char buffer[16384];
        const ssize_t n = ::recv(client.get(), buffer, sizeof buffer, MSG_DONTWAIT);
        if (n > 0) {
          received.append(buffer, static_cast<std::size_t>(n));
          ++ran;
          continue;
        }
        if (n == 0) closed = true;
        // ECONNRESET: the session closed with bytes of ours unread, which is an end too.
        if (n < 0 && errno == ECONNRESET) closed = true;
        break;
      }
      check(std::chrono::steady_clock::now() < give_up,
            "the session has not closed after 20 s; it sent " + std::to_string(received.size()) +
                " bytes: " + received.substr(0, 2000));
      if (!closed && ran == 0) {
        pollfd wait{client.get(), POLLIN, 0};
        ::poll(&wait, 1, 1);
      }
    }
    // What the session still does after its close (the lingering close's last read).
    for (int idle = 0; idle < 3;)
      idle = context.poll() + workers.poll() == 0 ? idle + 1 : 0;
    return received;
  }
}

// `received` is exactly the predicted answers, each a response that parses.
void check_received(std::string_view received, const std::vector<Answer>& answers) {
  for (std::size_t i = 0; i < answers.size(); ++i) {
    const std::string which = "answer " + std::to_string(i + 1) + " of " +
                              std::to_string(answers.size()) + " (" +
                              std::to_string(answers[i].status) + ")";
    bhttp::response_parser<bhttp::string_body> parser;
    parser.skip(answers[i].head);
    parser.eager(true);
    parser.body_limit(16 << 20);
    boost::system::error_code ec;
    const std::size_t used = parser.put(asio::buffer(received.data(), received.size()), ec);
    check(!ec && parser.is_done(), which + " is missing or does not parse: " + ec.message());
    check(parser.get().result_int() == answers[i].status,
          which + " has status " + std::to_string(parser.get().result_int()));
    received.remove_prefix(used);
  }
  check(received.empty(), std::to_string(received.size()) + " bytes after the last answer");
}

}  // namespace

void http_request(std::string_view input) {
  wordfinder::RouterSettings settings;
  settings.cache_entries = 4;
  const wordfinder::WordfinderRouter router(index(), settings);
  const std::vector<Answer> answers = predict(input, router);
  check_received(through_session(input, router), answers);
}

}  // namespace netsvcd::fuzz
