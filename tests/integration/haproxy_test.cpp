// Integration tests of several netsvcd behind a real HAProxy (Debian's, unpacked by `make
// test-tools`), run on config/examples/haproxy.cfg with only its addresses changed to loopback
// ones: HAProxy checks each netsvcd's /healthz and sends PROXY v2 headers. While a client loops
// through HAProxy, one netsvcd is stopped with SIGTERM: no request may fail, since /healthz turns
// to 503 before any port closes; and netsvcd sees the client's address, not HAProxy's.
#include <fmt/format.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/client.hpp"
#include "support/daemon_process.hpp"
#include "support/ports.hpp"
#include "support/temp_dir.hpp"
#include "support/tools.hpp"

namespace netsvcd::test {
namespace {

using Clock = std::chrono::steady_clock;

// Where the example's hosts run here: two loopback addresses, the same ports on each.
constexpr std::array<std::string_view, 2> kHosts = {"127.0.0.11", "127.0.0.12"};
// The client's own address, which HAProxy's PROXY header must carry to netsvcd (HAProxy itself
// connects from 127.0.0.1).
constexpr std::string_view kClient = "127.0.0.2";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The lines of `text` that contain `part`, for a failure's message.
std::string lines_with(const std::string& text, std::string_view part) {
  std::istringstream lines(text);
  std::string found;
  for (std::string line; std::getline(lines, line);)
    if (line.find(part) != std::string::npos) found += line + '\n';
  return found;
}

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  REQUIRE(text.find(from) != std::string::npos);
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

// Waits until HAProxy accepts on `port`, connecting from kClient; false after a deadline.
bool wait_for_frontend(std::uint16_t port) {
  const auto deadline = Clock::now() + 10s;
  while (Clock::now() < deadline) {
    try {
      Connection probe("127.0.0.1", port, 1s, std::nullopt, kClient);
      return true;
    } catch (const std::exception&) {
      std::this_thread::sleep_for(20ms);  // polling for the port, with a deadline
    }
  }
  return false;
}

struct Cluster {
  TempDir dir;
  std::uint16_t hello = free_port(), words = free_port(), metrics = free_port();
  std::uint16_t front_hello = free_port(), front_words = free_port();
  std::vector<std::unique_ptr<DaemonProcess>> hosts;
  std::unique_ptr<DaemonProcess> haproxy;

  Cluster() {
    for (std::size_t i = 0; i < kHosts.size(); ++i) {
      const auto host_dir = dir.path() / fmt::format("host{}", i + 1);
      std::filesystem::create_directory(host_dir);
      std::ofstream(host_dir / "words.txt") << "ab\nabc\nbad\ncab\n";
      std::ofstream(host_dir / "netsvcd.yaml") << host_config(kHosts[i]);
      hosts.push_back(std::make_unique<DaemonProcess>(std::vector<std::string>{
          "--config", (host_dir / "netsvcd.yaml").string(), "--log-level", "debug"}));
      REQUIRE(hosts.back()->wait_for_log(" ready: "));
    }
    const auto config = dir.write("haproxy.cfg", haproxy_config());
    const auto haproxy_binary = test_tool("haproxy");
    const auto check = run_program(haproxy_binary, {"-c", "-f", config.string()});
    INFO(check.out << check.err);
    REQUIRE(check.exit_code == 0);
    haproxy =
        std::make_unique<DaemonProcess>(std::vector<std::string>{"-db", "-f", config.string()},
                                        LaunchOptions{.program = haproxy_binary});
    // From the client's address: HAProxy relays even this probe to a host.
    REQUIRE(wait_for_frontend(front_words));
    REQUIRE(wait_for_frontend(front_hello));
    // Both hosts up: each has passed HAProxy's checks twice (rise 2).
    for (const auto& host : hosts)
      REQUIRE(host->wait_for_log_count("metrics: ", 4, 20s));
  }

  std::string host_config(std::string_view host) const {
    return fmt::format(R"(stop_delay: 2s
listeners:
  - name: hello
    kind: hello
    listen: {0}:{1}
    proxy_protocol: true
    proxy_from: [127.0.0.1/32]
  - name: words
    kind: wordfinder
    listen: {0}:{2}
    dictionary: words.txt
    proxy_protocol: true
    proxy_from: [127.0.0.1/32]
  - name: metrics
    kind: metrics
    listen: {0}:{3}
)",
                       host, hello, words, metrics);
  }

  // The example, with its documentation addresses swapped for this test's.
  std::string haproxy_config() const {
    auto text =
        read_file(std::filesystem::path(NETSVCD_SOURCE_DIR) / "config/examples/haproxy.cfg");
    // Its logs would only fill the test's output.
    replace_all(text, "    log /dev/log local0\n", "");
    replace_all(text, "bind :8081", fmt::format("bind 127.0.0.1:{}", front_words));
    replace_all(text, "bind :8080", fmt::format("bind 127.0.0.1:{}", front_hello));
    replace_all(text, "check port 9184", fmt::format("check port {}", metrics));
    for (std::size_t i = 0; i < kHosts.size(); ++i) {
      const auto example = fmt::format("192.0.2.1{}", i + 1);
      replace_all(text, example + ":8081", fmt::format("{}:{}", kHosts[i], words));
      replace_all(text, example + ":8080", fmt::format("{}:{}", kHosts[i], hello));
    }
    return text;
  }
};

// One keep-alive request through HAProxy; the whole answer, or "" if the connection ended first.
std::string exchange(Connection& connection, std::string_view path) {
  auto answer = http_get(connection, path);
  return answer.complete ? std::move(answer.text) : std::string();
}

// A client looping through HAProxy until told to stop (or its bounds): every answer checked.
class Loop {
 public:
  explicit Loop(std::function<bool()> one_request)
      : thread_([this, one_request = std::move(one_request)] {
          const auto deadline = Clock::now() + 60s;
          while (!stop_ && served_ + failed_ < 200000 && Clock::now() < deadline) {
            try {
              (one_request() ? served_ : failed_)++;
            } catch (const std::exception& e) {
              ++failed_;
              const std::lock_guard lock(mutex_);
              if (first_error_.empty()) first_error_ = e.what();
            }
          }
        }) {}
  ~Loop() { stop(); }

  // Waits until `count` more requests have been served; false if the loop ended first.
  bool serve_more(std::size_t count) {
    const auto target = served_ + count;
    const auto deadline = Clock::now() + 30s;
    while (served_ < target && thread_.joinable() && Clock::now() < deadline)
      std::this_thread::sleep_for(5ms);  // polling a counter, with a deadline
    return served_ >= target;
  }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::size_t served() const { return served_; }
  std::size_t failed() const { return failed_; }
  std::string first_error() {
    const std::lock_guard lock(mutex_);
    return first_error_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> served_{0}, failed_{0};
  std::mutex mutex_;
  std::string first_error_;
  std::jthread thread_;
};

// Stops host 1 with SIGTERM while `loop` runs, and checks that it drained and exited cleanly
// with the client never failing.
void stop_one_host_under_load(Cluster& cluster, Loop& loop) {
  REQUIRE(loop.serve_more(200));
  auto& stopped = *cluster.hosts[0];
  stopped.signal(SIGTERM);
  REQUIRE(stopped.wait_for_log("/healthz answers 503; still serving for 2s"));
  REQUIRE(stopped.wait_exit(20s) == 0);
  REQUIRE(loop.serve_more(200));
  loop.stop();
  INFO("first error: " << loop.first_error());
  CHECK(loop.failed() == 0);
  // HAProxy saw the 503 before the ports closed: it sent nothing more to the stopping host.
  const auto log = stopped.err();
  CHECK(log.find("/healthz answers 503") < log.find("no longer accepting"));
}

TEST_CASE("haproxy: the word finder behind HAProxy loses no request while one host stops",
          "[haproxy][integration]") {
  Cluster cluster;
  std::optional<Connection> connection;
  std::string last_body;
  std::mutex body_mutex;
  Loop loop([&] {
    if (!connection)
      connection.emplace("127.0.0.1", cluster.front_words, 5s, std::nullopt, kClient);
    std::string answer;
    try {
      answer = exchange(*connection, "/cab");
    } catch (...) {
      connection.reset();
      throw;
    }
    if (!answer.starts_with("HTTP/1.1 200 OK\r\n")) {
      connection.reset();
      throw std::runtime_error("answer: " + answer.substr(0, answer.find("\r\n")));
    }
    const std::lock_guard lock(body_mutex);
    last_body = answer.substr(answer.find("\r\n\r\n") + 4);
    return true;
  });
  stop_one_host_under_load(cluster, loop);

  // The word finder and its log saw the client, not HAProxy.
  {
    const std::lock_guard lock(body_mutex);
    CHECK(last_body.find(fmt::format("\"client\":\"{}\"", kClient)) != std::string::npos);
  }
  for (const auto& host : cluster.hosts) {
    CHECK(host->count_log(fmt::format("words: connection from {}:", kClient)) > 0);
    INFO(lines_with(host->err(), "words: connection from 127.0.0.1:"));
    CHECK(host->count_log("words: connection from 127.0.0.1:") == 0);
  }
}

TEST_CASE("haproxy: TCP-mode hello behind HAProxy loses no connection while one host stops",
          "[haproxy][integration]") {
  Cluster cluster;
  Loop loop([&] {
    Connection connection("127.0.0.1", cluster.front_hello, 5s, std::nullopt, kClient);
    const auto answer = connection.read_to_end();
    if (answer != "Hello World\n") throw std::runtime_error("answer: \"" + answer + "\"");
    return true;
  });
  stop_one_host_under_load(cluster, loop);
  for (const auto& host : cluster.hosts) {
    CHECK(host->count_log(fmt::format("hello: connection from {}:", kClient)) > 0);
    INFO(lines_with(host->err(), "hello: connection from 127.0.0.1:"));
    CHECK(host->count_log("hello: connection from 127.0.0.1:") == 0);
  }
}

}  // namespace
}  // namespace netsvcd::test
