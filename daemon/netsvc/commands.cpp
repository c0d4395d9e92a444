#include "netsvc/commands.hpp"

#include <netinet/in.h>

#include "netsvc/host_port.hpp"
#include "netsvc/http_client.hpp"
#include "netsvc/output.hpp"
#include "netsvc/resolver.hpp"
#include "netsvc/rfc868.hpp"
#include "netsvc/url.hpp"

namespace netsvc {
namespace {

// The whole answer of a service that writes and closes.
Outcome<std::string> read_answer(const HostPort& target, const ConnectOptions& options) {
  auto stream = connect_to(target, options);
  if (!stream) return stream.failure();
  return stream->read_to_end(kAnswerLimit);
}

}  // namespace

Status run_hello(const std::string& text, const ConnectOptions& options) {
  auto target = parse_host_port(text, kHelloPort);
  if (!target) return target.failure();
  auto answer = read_answer(*target, options);
  if (!answer) return answer.failure();
  return write_stdout(*answer);
}

Status run_time(const std::string& text, bool rfc868, const ConnectOptions& options) {
  auto target = parse_host_port(text, kTimePort);
  if (!target) return target.failure();
  auto answer = read_answer(*target, options);
  if (!answer) return answer.failure();
  if (!rfc868) return write_stdout(*answer);
  auto time = decode_rfc868(*answer);
  if (!time) return time.failure();
  return write_stdout(format_utc(*time) + "\n");
}

Status run_words(const std::string& text, const WordQuery& query, const WordsView& view,
                 const ConnectOptions& options) {
  auto target = parse_host_port(text, kWordsPort);
  if (!target) return target.failure();
  if (query.letters.empty()) return Failure{kExitUsage, "LETTERS is empty"};
  const Url url{*target, words_target(query)};
  // Every answer of the API is small: a rack of 20 letters has some thousands of words at most.
  StringSink sink(64 * 1024 * 1024);
  auto head = http_get(url, options, sink);
  if (!head) return head.failure();
  if (head->status == 400) return Failure{kExitDataErr, error_message(sink.body())};
  if (head->status == 503) {
    return Failure{kExitUnavailable,
                   "the word finder is busy (503): " + error_message(sink.body())};
  }
  if (head->status != 200) {
    return Failure{kExitProtocol, "HTTP " + std::to_string(head->status) + " " + head->reason +
                                      ": " + error_message(sink.body())};
  }
  const bool scores = query.sort == "score";
  auto entries = parse_words_answer(sink.body(), scores);
  if (!entries) return entries.failure();
  if (view.json) return write_stdout(sink.body());
  if (!view.terminal) return write_stdout(render_lines(*entries));
  if (entries->empty()) return write_stdout("no words\n");
  return write_stdout(render_columns(*entries, view.width));
}

Status run_resolve(const std::string& host) {
  // Any port: getaddrinfo wants a service to fill sockaddrs in, and the port is not shown.
  auto resolution = resolve(host, 80);
  if (!resolution) return resolution.failure();
  std::string out = "canonical name: " + resolution->canonical_name + "\n";
  for (const int family : {AF_INET, AF_INET6}) {
    for (const auto& endpoint : resolution->endpoints) {
      if (endpoint.family() != family) continue;
      out += (family == AF_INET ? "IPv4 address: " : "IPv6 address: ") + endpoint.address() + "\n";
    }
  }
  return write_stdout(out);
}

}  // namespace netsvc
