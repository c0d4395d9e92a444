// Integration tests of the metrics listener, /healthz, stop_delay and `netsvcd --status`: the
// real netsvcd on loopback, scraped as Prometheus would, its text checked by Prometheus's own
// promtool, and every counter compared with the traffic the test sent.
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/client.hpp"
#include "support/daemon_process.hpp"
#include "support/ports.hpp"
#include "support/temp_dir.hpp"
#include "support/tools.hpp"

namespace netsvcd::test {
namespace {

using Clock = std::chrono::steady_clock;
using Series = std::map<std::string, double>;

constexpr std::string_view kDictionary = "ab\nabc\nbad\ncab\n";

// The body of an answer on a connection the server closes.
std::string body_of(const std::string& answer) {
  const auto end = answer.find("\r\n\r\n");
  return end == std::string::npos ? std::string() : answer.substr(end + 4);
}

std::string get(std::uint16_t port, std::string_view path) {
  return fetch("127.0.0.1", port,
               fmt::format("GET {} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n", path));
}

// Every sample of a scrape, by its name and labels as written ("x_total{listener=\"a\"}").
Series parse(const std::string& text) {
  Series series;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.front() == '#') continue;
    const auto space = line.rfind(' ');
    series[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return series;
}

Series scrape(std::uint16_t port) {
  const auto answer = get(port, "/metrics");
  REQUIRE(answer.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(answer.find("\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n") !=
        std::string::npos);
  return parse(body_of(answer));
}

// Scrapes until `wanted` holds of the samples; the last scrape either way.
template <typename Wanted>
Series scrape_until(std::uint16_t port, Wanted wanted) {
  const auto deadline = Clock::now() + 10s;
  for (;;) {
    auto series = scrape(port);
    if (wanted(series) || Clock::now() > deadline) return series;
    std::this_thread::sleep_for(20ms);  // polling a condition, with a deadline
  }
}

std::string status_line(const std::string& answer) {
  return answer.substr(0, answer.find("\r\n"));
}

// One keep-alive request and its whole answer (head, then Content-Length bytes).
std::string exchange(Connection& connection, std::string_view path) {
  auto answer = http_get(connection, path);
  REQUIRE(answer.complete);
  return std::move(answer.text);
}

std::string words_config(std::uint16_t hello, std::uint16_t words, std::uint16_t closed,
                         std::uint16_t metrics) {
  return fmt::format(R"(listeners:
  - name: hello
    kind: hello
    listen: 127.0.0.1:{}
  - name: words
    kind: wordfinder
    listen: 127.0.0.1:{}
    dictionary: words.txt
  - name: closed
    kind: hello
    listen: 127.0.0.1:{}
    allow: [10.0.0.0/8]
  - name: metrics
    kind: metrics
    listen: 127.0.0.1:{}
)",
                     hello, words, closed, metrics);
}

TEST_CASE("metrics: a live scrape passes promtool and counts exactly the traffic sent",
          "[metrics][integration]") {
  TempDir dir;
  dir.write("words.txt", kDictionary);
  const auto hello = free_port(), words = free_port(), closed = free_port(), metrics = free_port();
  const auto daemon = start_netsvcd(dir, words_config(hello, words, closed, metrics));

  for (int i = 0; i < 5; ++i)
    REQUIRE(fetch("127.0.0.1", hello) == "Hello World\n");
  std::size_t words_bytes = 0;
  {
    Connection connection("127.0.0.1", words);
    for (const auto* path : {"/abc", "/abc", "/ab/c"}) {
      const auto answer = exchange(connection, path);
      words_bytes += answer.size();
    }
  }
  for (int i = 0; i < 2; ++i)
    CHECK(fetch("127.0.0.1", closed).empty());

  // The word finder's connection ends when the server sees the client's close.
  const auto series = scrape_until(metrics, [](const Series& s) {
    return s.at("netsvcd_connections_active{listener=\"words\"}") == 0;
  });
  const auto text = body_of(get(metrics, "/metrics"));
  INFO(text);

  CHECK(series.at("netsvcd_connections_accepted_total{listener=\"hello\"}") == 5);
  CHECK(series.at("netsvcd_connections_active{listener=\"hello\"}") == 0);
  CHECK(series.at("netsvcd_sent_bytes_total{listener=\"hello\"}") == 5 * 12);
  CHECK(series.at("netsvcd_connections_rejected_total{listener=\"hello\",reason=\"access\"}") == 0);

  CHECK(series.at("netsvcd_connections_accepted_total{listener=\"words\"}") == 1);
  CHECK(series.at("netsvcd_connections_active{listener=\"words\"}") == 0);
  CHECK(series.at("netsvcd_sent_bytes_total{listener=\"words\"}") ==
        static_cast<double>(words_bytes));
  CHECK(series.at("netsvcd_http_requests_total{listener=\"words\",code=\"200\"}") == 2);
  CHECK(series.at("netsvcd_http_requests_total{listener=\"words\",code=\"404\"}") == 1);
  CHECK(series.at("netsvcd_http_request_duration_seconds_count{listener=\"words\"}") == 3);
  CHECK(series.at("netsvcd_http_request_duration_seconds_bucket{listener=\"words\",le=\"+Inf\"}") ==
        3);
  CHECK(series.at("netsvcd_cache_hits_total{listener=\"words\"}") == 1);
  CHECK(series.at("netsvcd_cache_misses_total{listener=\"words\"}") == 1);
  CHECK(series.at("netsvcd_cache_entries{listener=\"words\"}") == 1);
  CHECK(series.at("netsvcd_dictionary_words{listener=\"words\"}") == 4);

  CHECK(series.at("netsvcd_connections_accepted_total{listener=\"closed\"}") == 2);
  CHECK(series.at("netsvcd_connections_rejected_total{listener=\"closed\",reason=\"access\"}") ==
        2);
  CHECK(series.at("netsvcd_sent_bytes_total{listener=\"closed\"}") == 0);

  CHECK(series.at("netsvcd_config_generation") == 1);
  CHECK(series.at("netsvcd_reloads_total{result=\"success\"}") == 0);
  CHECK(series.at("netsvcd_healthy") == 1);

  // Prometheus's own linter: the format, the names, the help and type lines.
  const auto scraped = dir.write("scrape.txt", text);
  const auto promtool = promtool_check_metrics(scraped);
  INFO(promtool.out << promtool.err);
  CHECK(promtool.exit_code == 0);
  CHECK(promtool.out.empty());
  CHECK(promtool.err.empty());
}

TEST_CASE("metrics: a reload keeps a kept listener's counts and counts itself",
          "[metrics][integration]") {
  TempDir dir;
  const auto hello = free_port(), metrics = free_port(), added = free_port();
  const auto control = (dir.path() / "control").string();
  const auto config = fmt::format(R"(listeners:
  - name: hello
    kind: hello
    listen: 127.0.0.1:{}
  - name: metrics
    kind: metrics
    listen: 127.0.0.1:{}
)",
                                  hello, metrics);
  LaunchOptions options;
  options.extra_args = {"--control-socket", control};
  const auto daemon = start_netsvcd(dir, config, options);
  for (int i = 0; i < 3; ++i)
    REQUIRE(fetch("127.0.0.1", hello) == "Hello World\n");

  dir.write("netsvcd.yaml", config + fmt::format(R"(  - name: added
    kind: hello
    listen: 127.0.0.1:{}
)",
                                                 added));
  REQUIRE(run_netsvcd({"--reload", "--control-socket", control}).exit_code == 0);
  REQUIRE(fetch("127.0.0.1", hello) == "Hello World\n");
  auto series = scrape(metrics);
  CHECK(series.at("netsvcd_connections_accepted_total{listener=\"hello\"}") == 4);
  CHECK(series.at("netsvcd_connections_accepted_total{listener=\"added\"}") == 0);
  CHECK(series.at("netsvcd_config_generation") == 2);
  CHECK(series.at("netsvcd_reloads_total{result=\"success\"}") == 1);
  CHECK(series.at("netsvcd_reloads_total{result=\"failure\"}") == 0);

  dir.write("netsvcd.yaml", "listeners: [");
  REQUIRE(run_netsvcd({"--reload", "--control-socket", control}).exit_code == 1);
  series = scrape(metrics);
  CHECK(series.at("netsvcd_config_generation") == 2);
  CHECK(series.at("netsvcd_reloads_total{result=\"failure\"}") == 1);
  CHECK(series.at("netsvcd_connections_accepted_total{listener=\"hello\"}") == 4);
}

TEST_CASE("healthz: 200 when ready, 503 while a reload is under way", "[metrics][integration]") {
  TempDir dir;
  dir.write("words.txt", kDictionary);
  const auto words = free_port(), metrics = free_port();
  const auto config = [&](std::string_view dictionary) {
    return fmt::format(R"(listeners:
  - name: words
    kind: wordfinder
    listen: 127.0.0.1:{}
    dictionary: {}
  - name: metrics
    kind: metrics
    listen: 127.0.0.1:{}
)",
                       words, dictionary, metrics);
  };
  const auto daemon = start_netsvcd(dir, config("words.txt"));
  const auto ready = get(metrics, "/healthz");
  CHECK(status_line(ready) == "HTTP/1.1 200 OK");
  CHECK(body_of(ready) == "ready\n");

  // A dictionary behind a named pipe holds the reload in its loading step until the test
  // writes the words: the daemon is reloading for exactly as long as the test wants.
  const auto pipe = dir.path() / "words.fifo";
  REQUIRE(::mkfifo(pipe.c_str(), 0600) == 0);
  dir.write("netsvcd.yaml", config(pipe.string()));
  daemon->signal(SIGHUP);
  REQUIRE(daemon->wait_for_log("received SIGHUP: reloading"));
  const auto reloading = get(metrics, "/healthz");
  CHECK(status_line(reloading) == "HTTP/1.1 503 Service Unavailable");
  CHECK(body_of(reloading) == "reloading\n");
  // Still serving meanwhile.
  CHECK(status_line(get(words, "/abc")) == "HTTP/1.1 200 OK");
  {
    std::ofstream writer(pipe);
    writer << kDictionary;
  }
  REQUIRE(daemon->wait_for_log("reloaded "));
  CHECK(body_of(get(metrics, "/healthz")) == "ready\n");
}

std::string stop_config(std::uint16_t hello, std::uint16_t metrics, std::string_view extra) {
  return fmt::format(R"({}listeners:
  - name: hello
    kind: hello
    listen: 127.0.0.1:{}
  - name: metrics
    kind: metrics
    listen: 127.0.0.1:{}
)",
                     extra, hello, metrics);
}

TEST_CASE("stop: /healthz says 503 while every port serves for stop_delay, then they close",
          "[metrics][integration]") {
  TempDir dir;
  const auto hello = free_port(), metrics = free_port();
  const auto daemon = start_netsvcd(dir, stop_config(hello, metrics, "stop_delay: 3s\n"));
  daemon->signal(SIGTERM);
  REQUIRE(daemon->wait_for_log("/healthz answers 503; still serving for 3s (stop_delay)"));
  const auto stopping = get(metrics, "/healthz");
  CHECK(status_line(stopping) == "HTTP/1.1 503 Service Unavailable");
  CHECK(body_of(stopping) == "stopping\n");
  CHECK(fetch("127.0.0.1", hello) == "Hello World\n");
  CHECK(daemon->count_log("no longer accepting") == 0);
  CHECK(daemon->wait_exit(15s) == 0);
  CHECK(refused("127.0.0.1", hello));
  const auto log = daemon->err();
  CHECK(log.find("still serving for 3s") < log.find("no longer accepting"));
}

TEST_CASE("stop: a second signal ends stop_delay at once", "[metrics][integration]") {
  TempDir dir;
  const auto hello = free_port(), metrics = free_port();
  const auto daemon = start_netsvcd(dir, stop_config(hello, metrics, "stop_delay: 60s\n"));
  daemon->signal(SIGTERM);
  REQUIRE(daemon->wait_for_log("still serving for 1m (stop_delay)"));
  daemon->signal(SIGTERM);
  CHECK(daemon->wait_exit(10s) == 0);
  CHECK(daemon->count_log("received a second stop signal: ending stop_delay early") == 1);
}

TEST_CASE("stop: stop_delay is 1s with a metrics listener and none without",
          "[metrics][integration]") {
  TempDir dir;
  const auto hello = free_port(), metrics = free_port();
  SECTION("with a metrics listener") {
    const auto daemon = start_netsvcd(dir, stop_config(hello, metrics, ""));
    daemon->signal(SIGTERM);
    CHECK(daemon->wait_exit(10s) == 0);
    CHECK(daemon->count_log("still serving for 1s (stop_delay)") == 1);
  }
  SECTION("without") {
    const auto daemon = start_netsvcd(dir, fmt::format(R"(listeners:
  - name: hello
    kind: hello
    listen: 127.0.0.1:{}
)",
                                                       hello));
    daemon->signal(SIGTERM);
    CHECK(daemon->wait_exit(10s) == 0);
    CHECK(daemon->count_log("stop_delay") == 0);
  }
}

// A socket listening on 127.0.0.1:port, as systemd would pass it.
int listening_socket(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  const int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(fd, 16) == 0);
  return fd;
}

TEST_CASE("status: --status prints each listener's addresses and counts, --json as JSON",
          "[metrics][status][integration]") {
  TempDir dir;
  const auto adopted = free_port(), bound = free_port();
  const auto control = (dir.path() / "control").string();
  const int passed = listening_socket(adopted);
  LaunchOptions options;
  options.extra_args = {"--control-socket", control};
  options.passed_fds = {{passed, "hello"}};
  const auto config = fmt::format(R"(listeners:
  - name: hello
    kind: hello
    listen: [127.0.0.1:{}, 127.0.0.1:{}]
    deny: [127.0.0.2]
)",
                                  adopted, bound);
  const auto daemon = start_netsvcd(dir, config, options);
  ::close(passed);
  REQUIRE(fetch("127.0.0.1", adopted) == "Hello World\n");
  REQUIRE(fetch("127.0.0.1", bound) == "Hello World\n");
  CHECK(Connection("127.0.0.1", bound, 5s, std::nullopt, "127.0.0.2").read_to_end().empty());

  const auto text = run_netsvcd({"--status", "--control-socket", control});
  INFO(text.out << text.err);
  CHECK(text.exit_code == 0);
  const auto config_line =
      fmt::format("config {}: generation 1, loaded ", (dir.path() / "netsvcd.yaml").string());
  CHECK(text.out.find(config_line) != std::string::npos);
  const auto addresses =
      fmt::format("127.0.0.1:{} (systemd), 127.0.0.1:{} (netsvcd)", adopted, bound);
  CHECK(text.out.find("LISTENER  KIND   ADDRESSES") != std::string::npos);
  CHECK(text.out.find(fmt::format("hello     hello  {}       0         3         1\n",
                                  addresses)) != std::string::npos);

  const auto json = run_netsvcd({"--status", "--json", "--control-socket", control});
  CHECK(json.exit_code == 0);
  const auto status = nlohmann::json::parse(json.out);
  CHECK(status.at("pid") == daemon->pid());
  CHECK(status.at("state") == "ready");
  CHECK(status.at("config").at("generation") == 1);
  const auto& listener = status.at("listeners").at(0);
  CHECK(listener.at("name") == "hello");
  CHECK(
      listener.at("addresses") ==
      nlohmann::json::parse(fmt::format(
          R"([{{"address":"127.0.0.1:{}","from":"systemd"}},{{"address":"127.0.0.1:{}","from":"netsvcd"}}])",
          adopted, bound)));
  CHECK(listener.at("connections").at("accepted") == 3);
  CHECK(listener.at("connections").at("rejected_by_reason").at("access") == 1);
  CHECK(listener.at("sent_bytes") == 24);
}

TEST_CASE("status: --status exits 3 when no daemon listens on the control socket",
          "[metrics][status][integration]") {
  TempDir dir;
  const auto result =
      run_netsvcd({"--status", "--control-socket", (dir.path() / "control").string()});
  CHECK(result.exit_code == 3);
  CHECK(result.out.empty());
  CHECK(result.err.starts_with("netsvcd --status: " + (dir.path() / "control").string() + ": "));
}

}  // namespace
}  // namespace netsvcd::test
