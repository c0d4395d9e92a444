// Integration tests of the wordfinder listener: the real netsvcd binary, spoken to by curl (a
// real HTTP client) and by raw sockets where a test needs exact bytes (pipelining, slow clients,
// oversized heads).
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <nlohmann/json.hpp>
#include <regex>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <vector>

#include "support/client.hpp"
#include "support/daemon_process.hpp"
#include "support/ports.hpp"
#include "support/temp_dir.hpp"

namespace netsvcd::test {
namespace {

using Words = std::vector<std::string>;

// Small enough to check every answer by hand.
constexpr std::string_view kDictionary =
    "a\nab\nabc\nbad\ncab\ndab\nbe\nbead\nbread\nbeard\nbared\ndebar\nlexical\n";

struct Wordfinder {
  TempDir dir;
  std::uint16_t port = free_port();
  std::unique_ptr<DaemonProcess> daemon;

  // `extra`: more settings of the listener; `top_level`: settings before `listeners:`.
  explicit Wordfinder(std::string_view extra = {}, std::string_view top_level = {}) {
    dir.write("words.txt", kDictionary);
    daemon = start_netsvcd(dir, fmt::format(R"({}
listeners:
  - name: words
    kind: wordfinder
    listen: ["127.0.0.1:{}", "[::1]:{}"]
    dictionary: words.txt
    max_letters: 8
{}
)",
                                            top_level, port, port, extra));
  }

  std::string url(std::string_view path) const {
    return fmt::format("http://127.0.0.1:{}{}", port, path);
  }
};

struct CurlResult {
  int status = 0;
  std::string headers;  // lower-cased
  std::string body;
};

// curl with the status code and headers written after the body by --write-out.
CurlResult curl(std::vector<std::string> args) {
  args.insert(args.begin(), {"--silent", "--show-error", "--max-time", "10", "--include"});
  const auto result = run_program("/usr/bin/curl", args);
  REQUIRE(result.exit_code == 0);
  CurlResult out;
  const auto split = result.out.find("\r\n\r\n");
  REQUIRE(split != std::string::npos);
  out.headers = result.out.substr(0, split);
  out.body = result.out.substr(split + 4);
  for (char& c : out.headers)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::smatch match;
  REQUIRE(std::regex_search(out.headers, match, std::regex(R"(^http/1\.1 (\d{3}))")));
  out.status = std::stoi(match[1]);
  return out;
}

nlohmann::json json_of(const CurlResult& result) {
  return nlohmann::json::parse(result.body);
}

std::string request(std::string_view target, std::string_view extra_headers = {}) {
  return fmt::format("GET {} HTTP/1.1\r\nHost: test\r\n{}\r\n", target, extra_headers);
}

// Reads one HTTP response (head and Content-Length body) from `connection`. Client threads call
// it too, so it uses neither Catch2's assertions, which are for the test's thread only (they
// write the run's state unguarded), nor std::regex, whose compiler fills libstdc++'s shared
// ctype<char>::narrow cache unguarded (GCC bug 77704): ThreadSanitizer reported both. A
// malformed or cut-short response throws instead.
std::string read_response(Connection& connection, std::string& pending) {
  constexpr std::string_view kLength = "\r\nContent-Length: ";
  for (;;) {
    const auto end_of_head = pending.find("\r\n\r\n");
    if (end_of_head != std::string::npos) {
      const std::string head = pending.substr(0, end_of_head);
      const auto length = head.find(kLength);
      if (length == std::string::npos)
        throw std::runtime_error("a response without Content-Length: " + head);
      const std::size_t total = end_of_head + 4 + std::stoul(head.substr(length + kLength.size()));
      if (pending.size() >= total) {
        std::string response = pending.substr(0, total);
        pending.erase(0, total);
        return response;
      }
    }
    const std::string more = connection.read_some();
    if (more.empty()) throw std::runtime_error("the connection ended before a whole response");
    pending += more;
  }
}

}  // namespace

TEST_CASE("wordfinder answers a rack with the hand-checked words, longest first", "[wordfinder]") {
  Wordfinder server;
  CHECK(server.daemon->count_log("dictionary ") == 1);
  const auto result = curl({server.url("/bread")});
  CHECK(result.status == 200);
  CHECK(result.headers.find("content-type: application/json") != std::string::npos);
  CHECK(std::regex_search(
      result.headers, std::regex(R"(\r\ndate: [a-z]{3}, \d\d [a-z]{3} \d{4} \d\d:\d\d:\d\d gmt)")));
  CHECK(result.headers.find("\r\nserver: netsvcd/") != std::string::npos);
  const auto body = json_of(result);
  CHECK(body["possibilities"] ==
        Words{"bared", "beard", "bread", "debar", "bead", "bad", "dab", "ab", "be"});
  CHECK(body["cached"] == false);
  CHECK(body["client"] == "127.0.0.1");
  CHECK(body["count"] == 9);
  CHECK(body["min_length"] == 2);
  CHECK(body["rack"] == "abder");
  CHECK(body["time"].is_number());
  CHECK(body["time"].get<double>() >= 0);
  CHECK(body.size() == 7);
  // The bytes, but for "time": members in order, the client's address between "cached" and the
  // members every client of a cached answer shares.
  CHECK(result.body.starts_with(
      R"({"cached":false,"client":"127.0.0.1","count":9,"min_length":2,"possibilities":["bared",)"
      R"("beard","bread","debar","bead","bad","dab","ab","be"],"rack":"abder","time":)"));
  CHECK(result.body.ends_with("}\n"));
  // Over IPv6, from the cache: the same answer, for this client.
  const auto again = curl({fmt::format("http://[::1]:{}/bread", server.port)});
  CHECK(again.body.starts_with(R"({"cached":true,"client":"::1","count":9,)"));
}

TEST_CASE("wordfinder folds case, takes _ as a blank tile, and honours min_length",
          "[wordfinder]") {
  Wordfinder server;
  CHECK(json_of(curl({server.url("/BaC")}))["possibilities"] == Words{"abc", "cab", "ab"});
  CHECK(json_of(curl({server.url("/a_")}))["possibilities"] == Words{"ab"});
  CHECK(json_of(curl({server.url("/abc?min_length=3")}))["possibilities"] == Words{"abc", "cab"});
  CHECK(json_of(curl({server.url("/__?min_length=1")}))["possibilities"] == Words{"ab", "be", "a"});
}

TEST_CASE("wordfinder scores words and sorts by score on request", "[wordfinder][score]") {
  Wordfinder server;
  // b3 e1 a1 and a blank for d: 5; every two- and three-letter word here scores 4.
  const auto by_score = curl({server.url("/ab_e?sort=score&details=1")});
  CHECK(by_score.status == 200);
  CHECK(by_score.body.starts_with(
      R"({"cached":false,"client":"127.0.0.1","count":7,"details":[)"
      R"({"word":"bead","score":5,"blanks":"d"},{"word":"ab","score":4,"blanks":""},)"
      R"({"word":"abc","score":4,"blanks":"c"},{"word":"bad","score":4,"blanks":"d"},)"
      R"({"word":"be","score":4,"blanks":""},{"word":"cab","score":4,"blanks":"c"},)"
      R"({"word":"dab","score":4,"blanks":"d"}],"min_length":2,)"
      R"("possibilities":["bead","ab","abc","bad","be","cab","dab"],"rack":"abe_","time":)"));
  // The default order and members are today's, and it is cached apart from the scored answer.
  const auto plain = json_of(curl({server.url("/ab_e")}));
  CHECK(plain["cached"] == false);
  CHECK(plain.size() == 7);
  CHECK(plain["possibilities"] == Words{"bead", "abc", "bad", "cab", "dab", "ab", "be"});
  CHECK(json_of(curl({server.url("/e_ba?details=1&sort=score")}))["cached"] == true);
  const auto bad = curl({server.url("/ab_e?sort=points")});
  CHECK(bad.status == 400);
  CHECK(bad.body == "{\"error\":\"sort must be length or score\"}\n");
}

TEST_CASE("wordfinder marks answers from its cache, and evicts the least recently used",
          "[wordfinder][cache]") {
  Wordfinder server("    cache_entries: 1");
  CHECK(json_of(curl({server.url("/abc")}))["cached"] == false);
  CHECK(json_of(curl({server.url("/cba")}))["cached"] == true);  // the same rack, normalised
  CHECK(json_of(curl({server.url("/abc?min_length=3")}))["cached"] == false);  // another key
  CHECK(json_of(curl({server.url("/abc")}))["cached"] == false);  // evicted by the one before
}

TEST_CASE("wordfinder answers every error with JSON and the right status", "[wordfinder][errors]") {
  Wordfinder server;
  const auto expect = [](const CurlResult& result, int status, std::string_view error) {
    CHECK(result.status == status);
    CHECK(result.headers.find("content-type: application/json") != std::string::npos);
    CHECK(json_of(result)["error"] == error);
  };
  expect(curl({server.url("/abc1")}), 400,
         "bad character '1' at position 4 of the rack: only letters a-z and _ (a blank)");
  expect(curl({server.url("/abcdefghi")}), 400, "too many tiles: 9 (at most 8, blanks included)");
  expect(curl({server.url("/a___")}), 400, "too many blanks: 3 (at most 2)");
  expect(curl({server.url("/abc?min_length=x")}), 400,
         "min_length must be a whole number from 1 to 64");
  expect(curl({server.url("/abc?color=red")}), 400,
         "unknown parameter \"color\" (expected min_length, sort or details)");
  expect(curl({server.url("/a/b")}), 404, "not found: the API is GET /<rack>; GET / explains it");
  const auto post = curl({"-X", "POST", server.url("/abc")});
  expect(post, 405, "method POST not allowed (expected GET or HEAD)");
  CHECK(post.headers.find("\r\nallow: get, head") != std::string::npos);
  expect(curl({"-X", "GET", "--data", "x", server.url("/abc")}), 400,
         "a GET or HEAD request has no body");
  expect(curl({server.url("/" + std::string(20000, 'a'))}), 414, "request line too long");
  expect(curl({"-H", "X-Big: " + std::string(20000, 'b'), server.url("/abc")}), 431,
         "request headers too large");
}

TEST_CASE("wordfinder tells a long request line from large headers however the reads split",
          "[wordfinder][errors]") {
  Wordfinder server;
  Connection split("127.0.0.1", server.port);
  split.send("GET /ab");  // the request line may reach the daemon in a read of its own
  split.send("c HTTP/1.1\r\nHost: test\r\nX-Big: " + std::string(9000, 'b') + "\r\n\r\n");
  CHECK(split.read_to_end().starts_with("HTTP/1.1 431 "));
  Connection long_line("127.0.0.1", server.port);
  long_line.send("GET /" + std::string(4000, 'a'));
  long_line.send(std::string(5000, 'a') + " HTTP/1.1\r\nHost: test\r\n\r\n");
  CHECK(long_line.read_to_end().starts_with("HTTP/1.1 414 "));
}

TEST_CASE("wordfinder requires Host on HTTP/1.1, not on HTTP/1.0", "[wordfinder][errors]") {
  Wordfinder server;
  Connection no_host("127.0.0.1", server.port);
  no_host.send("GET /abc HTTP/1.1\r\n\r\n");
  std::string pending;
  const auto response = read_response(no_host, pending);
  CHECK(response.starts_with("HTTP/1.1 400 "));
  CHECK(response.ends_with("{\"error\":\"an HTTP/1.1 request needs a Host header\"}\n"));
  Connection old("127.0.0.1", server.port);
  old.send("GET /abc HTTP/1.0\r\n\r\n");
  CHECK(old.read_to_end().starts_with("HTTP/1.0 200 OK\r\n"));
}

TEST_CASE("wordfinder serves an absolute-form target like its path", "[wordfinder][target]") {
  Wordfinder server;
  // curl told to use netsvcd as its HTTP proxy sends the absolute-form, as proxies' clients do:
  // "GET http://words.invalid/bread?min_length=4 HTTP/1.1". The name is never resolved.
  const auto proxied = curl({"--proxy", server.url(""), "http://words.invalid/bread?min_length=4"});
  CHECK(proxied.status == 200);
  CHECK(json_of(proxied)["possibilities"] == Words{"bared", "beard", "bread", "debar", "bead"});
  // Raw bytes: the authority replaces Host, whatever Host says; the scheme's case does not
  // matter; an empty path is "/".
  Connection raw("127.0.0.1", server.port);
  std::string pending;
  raw.send("GET HTTP://127.0.0.1:1/bread HTTP/1.1\r\nHost: elsewhere.invalid:99\r\n\r\n");
  const auto bread = read_response(raw, pending);
  CHECK(bread.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(nlohmann::json::parse(bread.substr(bread.find("\r\n\r\n") + 4))["count"] == 9);
  raw.send(request(fmt::format("http://[::1]:{}", server.port)));
  const auto usage = read_response(raw, pending);
  CHECK(usage.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(usage.find("GET /<rack>") != std::string::npos);
}

TEST_CASE("wordfinder refuses other schemes, the authority-form and the asterisk-form with 400",
          "[wordfinder][target][errors]") {
  Wordfinder server;
  const auto refused_with = [&](std::string_view request_line, const std::string& error) {
    INFO(request_line);
    Connection connection("127.0.0.1", server.port);
    connection.send(fmt::format("{}\r\nHost: test\r\n\r\n", request_line));
    std::string pending;
    const auto response = read_response(connection, pending);
    CHECK(response.starts_with("HTTP/1.1 400 Bad Request\r\n"));
    CHECK(nlohmann::json::parse(response.substr(response.find("\r\n\r\n") + 4))["error"] == error);
  };
  refused_with("GET https://localhost/bread HTTP/1.1",
               "the absolute-form target \"https://localhost/bread\" has the scheme \"https\"; "
               "netsvcd serves http here");
  refused_with("CONNECT localhost:443 HTTP/1.1",
               "the authority-form target \"localhost:443\" is only for CONNECT through a proxy, "
               "which netsvcd is not; ask for a path such as /lexical");
  refused_with("OPTIONS * HTTP/1.1",
               "the asterisk-form target \"*\" is only for OPTIONS on a whole server; ask for a "
               "path such as /lexical");
  refused_with("GET bread HTTP/1.1",
               "the target \"bread\" is neither a path starting with / nor an absolute http:// "
               "URL");
}

TEST_CASE("wordfinder answers HEAD with the GET's headers and no body", "[wordfinder]") {
  Wordfinder server;
  // The usage page, since a rack's answer changes with its "time" and "cached".
  const auto get = curl({server.url("/")});
  const auto head = curl({"--head", server.url("/")});
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(head.headers.find(fmt::format("content-length: {}", get.body.size())) != std::string::npos);
}

TEST_CASE("wordfinder GET / explains the API in plain text", "[wordfinder]") {
  Wordfinder server;
  const auto result = curl({server.url("/")});
  CHECK(result.status == 200);
  CHECK(result.headers.find("content-type: text/plain") != std::string::npos);
  CHECK(result.body.find("GET /<rack>") != std::string::npos);
  // curl's own Accept is */*, which is not a browser's.
  CHECK((result.headers + "\r\n").find("\r\nvary: accept\r\n") != std::string::npos);
  CHECK(result.headers.find("content-security-policy") == std::string::npos);
}

TEST_CASE("wordfinder GET / with Accept: text/html is the web page, with its CSP",
          "[wordfinder][page]") {
  Wordfinder server;
  const auto page = curl({"-H", "Accept: text/html", server.url("/")});
  CHECK(page.status == 200);
  CHECK(page.headers.find("\r\ncontent-type: text/html; charset=utf-8\r\n") != std::string::npos);
  CHECK(page.body.starts_with("<!doctype html>"));
  CHECK(page.body.ends_with("</html>\n"));
  // The listener's max_letters, filled in.
  CHECK(page.body.find("data-max-tiles=\"8\" data-max-blanks=\"2\"") != std::string::npos);
  std::smatch match;
  REQUIRE(std::regex_search(page.headers, match,
                            std::regex("\r\ncontent-security-policy: ([^\r]*)\r\n")));
  const std::string policy = match[1];
  CHECK(policy.starts_with("default-src 'none'; script-src 'sha256-"));
  CHECK(std::regex_search(policy, std::regex("; style-src 'sha256-[A-Za-z0-9+/]{43}=';")));
  CHECK(policy.find("; connect-src 'self';") != std::string::npos);
  CHECK(policy.find("; frame-ancestors 'none'") != std::string::npos);
  CHECK(page.headers.find("\r\nx-content-type-options: nosniff\r\n") != std::string::npos);
  CHECK(page.headers.find("\r\nreferrer-policy: no-referrer\r\n") != std::string::npos);
  CHECK((page.headers + "\r\n").find("\r\nvary: accept\r\n") != std::string::npos);

  // HEAD: the same head, no body.
  const auto head = curl({"--head", "-H", "Accept: text/html", server.url("/")});
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(head.headers.find(fmt::format("content-length: {}", page.body.size())) !=
        std::string::npos);
  CHECK(head.headers.find("content-security-policy: " + policy) != std::string::npos);

  // A browser's navigation Accept; and one that refuses HTML gets the text.
  const auto browser =
      curl({"-H", "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            server.url("/")});
  CHECK(browser.body == page.body);
  const auto refused = curl({"-H", "Accept: text/html;q=0, text/plain", server.url("/")});
  CHECK(refused.headers.find("content-type: text/plain") != std::string::npos);
}

TEST_CASE("wordfinder serves 200 requests on one kept-alive connection, then pipelined ones",
          "[wordfinder][keepalive]") {
  Wordfinder server;
  Connection connection("127.0.0.1", server.port);
  std::string pending;
  for (int i = 0; i < 200; ++i) {
    connection.send(request(i % 2 ? "/abc" : "/bread"));
    const auto response = read_response(connection, pending);
    CHECK(response.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(response.find(i % 2 ? "[\"abc\",\"cab\",\"ab\"]" : "\"debar\"") != std::string::npos);
  }
  std::string pipelined;
  for (int i = 0; i < 20; ++i)
    pipelined += request(i % 2 ? "/abc" : "/zzz");
  connection.send(pipelined);
  for (int i = 0; i < 20; ++i) {
    const auto response = read_response(connection, pending);
    CHECK(response.find(i % 2 ? "\"count\":3" : "\"count\":0") != std::string::npos);
  }
  CHECK(server.daemon->count_log("words: connection from") == 1);
}

TEST_CASE("wordfinder answers 300 pipelined requests in order, without holding its only thread",
          "[wordfinder][keepalive]") {
  // A thread serves 16 requests of a connection at a time, then its other connections: the
  // pipelining client still gets every answer, in order, and another client is served meanwhile.
  Wordfinder server({}, "threads: 1");
  Connection pipelining("127.0.0.1", server.port);
  std::string requests;
  for (int i = 0; i < 300; ++i)
    requests += request(i % 3 ? "/abc" : "/zzz");
  pipelining.send(requests);
  CHECK(
      fetch("127.0.0.1", server.port, "GET / HTTP/1.0\r\n\r\n").starts_with("HTTP/1.0 200 OK\r\n"));
  std::string pending;
  for (int i = 0; i < 300; ++i) {
    INFO("answer " << i);
    const auto response = read_response(pipelining, pending);
    REQUIRE(response.find(i % 3 ? "\"count\":3" : "\"count\":0") != std::string::npos);
  }
}

TEST_CASE("wordfinder ignores empty lines before a request line", "[wordfinder]") {
  Wordfinder server;
  Connection connection("127.0.0.1", server.port);
  connection.send("\r\n\r\n" + request("/abc"));
  std::string pending;
  const auto response = read_response(connection, pending);
  CHECK(response.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(response.find("\"count\":3") != std::string::npos);
}

TEST_CASE("wordfinder honours Connection: close", "[wordfinder][keepalive]") {
  Wordfinder server;
  Connection connection("::1", server.port);
  connection.send(request("/abc", "Connection: close\r\n") + request("/abc"));
  const std::string all = connection.read_to_end();
  CHECK(all.find("Connection: close\r\n") != std::string::npos);
  CHECK(all.find("HTTP/1.1", 1) == std::string::npos);  // one answer, then the close
  CHECK(connection.end_error() == 0);
}

TEST_CASE("wordfinder cuts off clients that are slow to send a request or idle too long",
          "[wordfinder][slow]") {
  Wordfinder server("    request_timeout: 300ms\n    idle_timeout: 500ms");
  const auto baseline = server.daemon->open_files();
  Connection slow("127.0.0.1", server.port);
  slow.send("GET /abc HTTP/1.1\r\nHost: te");  // and never the rest
  CHECK(slow.read_to_end(5s).empty());
  Connection idle("127.0.0.1", server.port);
  std::string pending;
  idle.send(request("/abc"));
  CHECK(read_response(idle, pending).starts_with("HTTP/1.1 200"));
  CHECK(idle.read_to_end(5s).empty());  // closed once idle for 500ms
  Connection silent("127.0.0.1", server.port);
  CHECK(silent.read_to_end(5s).empty());
  CHECK(server.daemon->wait_open_files_at_most(baseline));
}

TEST_CASE("a stop closes kept-alive connections that wait between requests at once",
          "[wordfinder][signals]") {
  // Without the stop notice, the idle connection would hold the stop for an hour.
  Wordfinder server("    idle_timeout: 1h", "shutdown_timeout: 1h");
  Connection idle("127.0.0.1", server.port);
  std::string pending;
  idle.send(request("/abc"));
  CHECK(read_response(idle, pending).starts_with("HTTP/1.1 200 OK"));
  server.daemon->signal(SIGTERM);
  CHECK(idle.read_to_end(10s).empty());  // closed, with nothing more to say
  CHECK(idle.end_error() == 0);
  CHECK(server.daemon->wait_exit(10s) == 0);
  CHECK(server.daemon->count_log("still open") == 0);
}

TEST_CASE("a stop answers the first request of a connection accepted before it",
          "[wordfinder][signals]") {
  Wordfinder server({}, "shutdown_timeout: 1h");
  const auto& daemon = server.daemon;
  const auto baseline = daemon->open_files();
  Connection early("127.0.0.1", server.port);
  REQUIRE(daemon->wait_open_files_at_least(baseline + 1));  // accepted, its request not yet sent
  daemon->signal(SIGTERM);
  REQUIRE(daemon->wait_for_log("waiting up to 1h for 1 connection(s) in flight"));
  early.send(request("/bad"));
  std::string pending;
  const auto answer = read_response(early, pending);
  CHECK(answer.starts_with("HTTP/1.1 200 OK"));
  CHECK(answer.find("Connection: close") != std::string::npos);  // stopping: no keep-alive
  CHECK(nlohmann::json::parse(answer.substr(answer.find("\r\n\r\n") + 4))["possibilities"] ==
        Words{"bad", "dab", "ab"});
  CHECK(pending.empty());
  CHECK(early.read_to_end(10s).empty());
  CHECK(early.end_error() == 0);
  CHECK(daemon->wait_exit(10s) == 0);
  CHECK(daemon->count_log("still open") == 0);
}

TEST_CASE("a connection that never sends its request holds a stop no longer than request_timeout",
          "[wordfinder][signals][slow]") {
  Wordfinder server("    request_timeout: 300ms", "shutdown_timeout: 1h");
  const auto& daemon = server.daemon;
  const auto baseline = daemon->open_files();
  Connection silent("127.0.0.1", server.port);
  REQUIRE(daemon->wait_open_files_at_least(baseline + 1));
  daemon->signal(SIGTERM);
  CHECK(silent.read_to_end(10s).empty());
  CHECK(daemon->wait_exit(10s) == 0);
  CHECK(daemon->count_log("still open") == 0);
}

TEST_CASE("wordfinder serves concurrent clients", "[wordfinder][load]") {
  Wordfinder server;
  constexpr int kClients = 16;
  constexpr int kRequests = 25;
  std::vector<int> right(kClients, 0);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      try {
        Connection connection("127.0.0.1", server.port);
        std::string pending;
        for (int i = 0; i < kRequests; ++i) {
          connection.send(request(c % 2 ? "/bread" : "/cab"));
          const auto response = read_response(connection, pending);
          right[c] += response.find(c % 2 ? "\"count\":9" : "\"count\":3") != std::string::npos;
        }
      } catch (const std::exception&) {
        // counted as wrong below
      }
    });
  }
  for (auto& client : clients)
    client.join();
  for (int c = 0; c < kClients; ++c)
    CHECK(right[c] == kRequests);
}

TEST_CASE("wordfinder settings that contradict each other are config errors",
          "[wordfinder][config]") {
  TempDir dir;
  dir.write("words.txt", kDictionary);
  const auto config = dir.write("netsvcd.yaml", R"(listeners:
  - name: words
    kind: wordfinder
    listen: ["127.0.0.1:8081"]
    dictionary: words.txt
    max_letters: 5
    max_blanks: 6
    min_length: 7
)");
  const auto result = run_netsvcd({"--check-config", "-c", config.string()});
  CHECK(result.exit_code == 1);
  CHECK(result.err == config.string() +
                          ":7:17: listeners[0].max_blanks: more blanks than max_letters (5) "
                          "allows\n" +
                          config.string() +
                          ":8:17: listeners[0].min_length: longer than max_letters (5): every "
                          "answer would be empty\n" +
                          config.string() + ": 2 error(s)\n");
}

TEST_CASE("a missing, empty or junk dictionary is a config error naming the file",
          "[wordfinder][config]") {
  TempDir dir;
  dir.write("empty.txt", "");
  dir.write("junk.txt", "it's\nR2D2\nAaron\n\n");
  for (const auto& [file, why] : {std::pair{"missing.txt", "No such file or directory"},
                                  std::pair{"empty.txt", ""}, std::pair{"junk.txt", ""}}) {
    const auto config = dir.write("netsvcd.yaml", fmt::format(R"(listeners:
  - name: words
    kind: wordfinder
    listen: ["127.0.0.1:8081"]
    dictionary: {}
)",
                                                              file));
    const auto result = run_netsvcd({"--check-config", "-c", config.string()});
    CHECK(result.exit_code == 1);
    INFO(result.err);
    CHECK(result.err.starts_with(config.string() + ":5:17: listeners[0].dictionary: "));
    CHECK(result.err.find((dir.path() / file).string()) != std::string::npos);
    CHECK(result.err.find(why) != std::string::npos);
  }
}

}  // namespace netsvcd::test
