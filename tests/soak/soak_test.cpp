// Soak tests: netsvcd under sustained hostile or churning load, each bounded in time and count
// and on loopback only. Hidden from `make test` (the [.] tag): `make soak` runs them, in about
// two minutes, and CI runs that as a step of its own.
// - slowloris: thousands of clients that send a byte every few seconds must not delay anyone
//   else, cost little memory each, and are reaped by their timeouts;
// - reload churn: SIGHUP every 100 ms for 30 s while clients connect without pause: no failed
//   connection, and descriptors and memory back to where they were;
// - SIGTERM under load: what is in flight completes, nothing is cut half-way, exit 0.
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <csignal>
#include <thread>
#include <vector>

#include "support/client.hpp"
#include "support/daemon_process.hpp"
#include "support/ports.hpp"
#include "support/temp_dir.hpp"

namespace netsvcd::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kDictionary = "a\nab\nabc\nbad\ncab\ndab\nbead\nbread\nbeard\n";

// The soft descriptor limit raised to the hard one, for thousands of client sockets.
std::size_t raise_own_descriptor_limit() {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

// The q-quantile of `samples`, in milliseconds.
double quantile_ms(std::vector<Clock::duration> samples, double q) {
  std::sort(samples.begin(), samples.end());
  const auto index = std::min(samples.size() - 1, static_cast<std::size_t>(q * samples.size()));
  return std::chrono::duration<double, std::milli>(samples[index]).count();
}

// A non-blocking connection from a slowloris client; -1 if it failed.
int connect_nonblocking(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 &&
      errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Whether every socket in `fds` has been closed by the server (EOF or reset) by `deadline`.
std::size_t count_closed_by_server(const std::vector<int>& fds, Clock::time_point deadline) {
  std::vector<bool> closed(fds.size(), false);
  std::size_t count = 0;
  while (count < fds.size() && Clock::now() < deadline) {
    std::vector<pollfd> waiting;
    std::vector<std::size_t> which;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (closed[i]) continue;
      waiting.push_back({fds[i], POLLIN, 0});
      which.push_back(i);
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (::poll(waiting.data(), waiting.size(), static_cast<int>(std::max<long>(left.count(), 0))) <=
        0)
      break;
    for (std::size_t j = 0; j < waiting.size(); ++j) {
      if (!waiting[j].revents) continue;
      char byte;
      if (::recv(waiting[j].fd, &byte, 1, 0) <= 0) {
        closed[which[j]] = true;
        ++count;
      }
    }
  }
  return count;
}

// hello and a word finder (on words.txt in the config's directory), each on 127.0.0.1, with two
// threads; `top` and `words_keys` add lines to the top level and to the word finder.
std::string hello_and_words(std::uint16_t hello_port, std::uint16_t words_port,
                            std::string_view top, std::string_view words_keys) {
  return fmt::format(R"(threads: 2
{}
listeners:
  - name: hello
    kind: hello
    listen: "127.0.0.1:{}"
  - name: words
    kind: wordfinder
    listen: "127.0.0.1:{}"
    dictionary: words.txt
{}
)",
                     top, hello_port, words_port, words_keys);
}

}  // namespace

TEST_CASE("slowloris: 5,000 trickling clients delay nobody, cost little, and are reaped",
          "[.][soak][slowloris]") {
  constexpr std::size_t kSlow = 5000;
  REQUIRE(raise_own_descriptor_limit() > kSlow + 200);
  TempDir dir;
  dir.write("words.txt", kDictionary);
  const auto hello_port = free_port();
  const auto words_port = free_port();
  const auto daemon =
      start_netsvcd(dir, hello_and_words(hello_port, words_port, "", "    request_timeout: 20s"));
  // Its descriptors before any connection; then warm: the first requests allocate what every
  // later one reuses. Once the warming connections have closed on its side too, it is back to
  // the same descriptors.
  const auto files_before = daemon->open_files();
  for (int i = 0; i < 50; ++i)
    fetch("127.0.0.1", hello_port);
  {
    Connection warm("127.0.0.1", words_port);
    warm.send("GET /abc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    warm.read_to_end();
  }
  REQUIRE(daemon->wait_open_files_at_most(files_before));
  const auto rss_before = daemon->rss_kib();

  // Each slow client starts a request and then sends one more byte every 2 s, never finishing
  // its head: only request_timeout (20 s from the first byte) ends it.
  std::vector<int> slow;
  for (std::size_t i = 0; i < kSlow; ++i) {
    const int fd = connect_nonblocking(words_port);
    REQUIRE(fd >= 0);
    slow.push_back(fd);
  }
  const auto started = Clock::now();
  std::atomic<bool> trickling{true};
  std::jthread trickle([&] {
    std::size_t round = 0;
    while (trickling) {
      for (const int fd : slow) {
        const std::string_view bytes = round == 0 ? "GET /abc HTTP/1.1\r\nHost: x\r\nX" : "X";
        ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      }
      ++round;
      for (int i = 0; i < 20 && trickling; ++i)
        std::this_thread::sleep_for(100ms);  // the attack's pace, not a synchronisation
    }
  });
  REQUIRE(daemon->wait_open_files_at_least(files_before + kSlow, 20s));
  const auto rss_held = daemon->rss_kib();
  const double bytes_each = (static_cast<double>(rss_held) - rss_before) * 1024 / kSlow;
  WARN(fmt::format("{} slowloris connections: {:.0f} bytes of RSS each", kSlow, bytes_each));
  CHECK(bytes_each <= 2048);

  // Meanwhile hello and the word finder's other clients are answered as fast as ever.
  std::vector<Clock::duration> hello;
  for (int i = 0; i < 2000; ++i) {
    const auto begin = Clock::now();
    REQUIRE(fetch("127.0.0.1", hello_port) == "Hello World\n");
    hello.push_back(Clock::now() - begin);
  }
  std::vector<Clock::duration> words;
  {
    Connection client("127.0.0.1", words_port);
    for (int i = 0; i < 1000; ++i) {
      const auto begin = Clock::now();
      client.send("GET /abc HTTP/1.1\r\nHost: x\r\n\r\n");
      std::string answer;
      while (answer.find("\"possibilities\"") == std::string::npos || answer.back() != '\n')
        answer += client.read_some();
      words.push_back(Clock::now() - begin);
    }
  }  // closed: the daemon closes its side when it reads the end
  const auto elapsed = Clock::now() - started;
  WARN(fmt::format("under slowloris: hello p50 {:.3f} ms, p99 {:.3f} ms; words p99 {:.3f} ms",
                   quantile_ms(hello, 0.5), quantile_ms(hello, 0.99), quantile_ms(words, 0.99)));
  CHECK(quantile_ms(hello, 0.99) < 10);
  CHECK(quantile_ms(words, 0.99) < 10);
  // The measurement ran while every slow client was still held.
  CHECK(elapsed < 18s);

  // request_timeout reaps them all, 20 s after each one's first byte; the daemon is back to
  // its descriptors of before.
  const auto reaped = count_closed_by_server(slow, started + 40s);
  trickling = false;
  trickle.join();
  for (const int fd : slow)
    ::close(fd);
  CHECK(reaped == kSlow);
  CHECK(daemon->wait_open_files_at_most(files_before, 10s));
  CHECK(daemon->stop() == 0);
}

TEST_CASE("reload churn: SIGHUP every 100 ms for 30 s under connection churn fails no connection",
          "[.][soak][churn]") {
  TempDir dir;
  const auto hello_port = free_port();
  const auto time_port = free_port();
  const auto daemon = start_netsvcd(dir, fmt::format(R"(threads: 2
log_level: info
listeners:
  - name: hello
    kind: hello
    listen: "127.0.0.1:{}"
  - name: daytime
    kind: time
    listen: ["127.0.0.1:{}", "[::1]:{}"]
    format: rfc3339
)",
                                                     hello_port, time_port, time_port));
  const auto reload_once = [&](std::size_t done) {
    daemon->signal(SIGHUP);
    return daemon->wait_for_log_count("reloaded ", done + 1, 10s);
  };
  // Warm, with a few reloads, then the baseline.
  for (std::size_t i = 0; i < 5; ++i)
    REQUIRE(reload_once(i));
  const auto files_before = daemon->open_files();
  const auto rss_before = daemon->rss_kib();

  std::atomic<bool> running{true};
  std::atomic<std::uint64_t> served{0};
  std::atomic<std::uint64_t> failed{0};
  std::vector<std::jthread> clients;
  for (int c = 0; c < 2; ++c) {
    clients.emplace_back([&, c] {
      for (std::uint64_t i = 0; running && i < 2'000'000; ++i) {
        try {
          const bool hello = (i + c) % 2 == 0;
          const auto answer =
              hello ? fetch("127.0.0.1", hello_port) : fetch(c ? "::1" : "127.0.0.1", time_port);
          const bool ok = hello ? answer == "Hello World\n"
                                : answer.size() == 21 && answer[10] == 'T' && answer.back() == '\n';
          (ok ? served : failed)++;
        } catch (const std::exception&) {
          ++failed;
        }
      }
    });
  }
  const auto start = Clock::now();
  std::size_t reloads = 5;
  for (auto next = start; Clock::now() - start < 30s; next += 100ms) {
    std::this_thread::sleep_until(next);  // the pace the issue asks for
    REQUIRE(reload_once(reloads));
    ++reloads;
  }
  running = false;
  clients.clear();
  WARN(fmt::format("{} reloads, {} connections served, {} failed", reloads - 5, served.load(),
                   failed.load()));
  CHECK(failed == 0);
  CHECK(served > 1000);
  CHECK(reloads - 5 >= 250);
  CHECK(daemon->count_log("reload refused") == 0);
  CHECK(daemon->wait_open_files_at_most(files_before));
  const auto rss_after = daemon->rss_kib();
  WARN(fmt::format("RSS {} KiB before, {} KiB after", rss_before, rss_after));
  CHECK(rss_after <= rss_before + 1024);
  CHECK(daemon->stop() == 0);
}

TEST_CASE("SIGTERM under load: what is in flight completes, nothing is cut, exit 0",
          "[.][soak][stop]") {
  TempDir dir;
  dir.write("words.txt", kDictionary);
  const auto hello_port = free_port();
  const auto words_port = free_port();
  const auto daemon = start_netsvcd(
      dir, hello_and_words(hello_port, words_port, "log_level: info\nshutdown_timeout: 10s", ""));
  std::atomic<bool> running{true};
  std::atomic<std::uint64_t> complete{0};
  std::atomic<std::uint64_t> refused_or_closed{0};
  std::atomic<std::uint64_t> cut{0};
  std::vector<std::jthread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      for (std::uint64_t i = 0; running && i < 1'000'000; ++i) {
        try {
          if (c % 2 == 0) {
            // One-shot hello: the whole answer, or nothing at all (not accepted).
            const auto answer = fetch("127.0.0.1", hello_port);
            (answer == "Hello World\n" ? complete : answer.empty() ? refused_or_closed : cut)++;
            continue;
          }
          // Kept-alive word-finder requests: each answer whole, or the connection closed
          // before its first byte (a kept-alive connection closed between requests).
          Connection connection("127.0.0.1", words_port);
          for (int r = 0; r < 20 && running; ++r) {
            connection.send("GET /bread HTTP/1.1\r\nHost: x\r\n\r\n");
            std::string answer;
            while (answer.find("\"possibilities\"") == std::string::npos || answer.back() != '\n') {
              const auto more = connection.read_some();
              if (more.empty()) break;
              answer += more;
            }
            if (answer.empty()) {
              ++refused_or_closed;
              break;
            }
            (answer.starts_with("HTTP/1.1 200 OK") && answer.back() == '\n' ? complete : cut)++;
          }
        } catch (const std::exception&) {
          ++refused_or_closed;  // connect refused once the ports closed
        }
      }
    });
  }
  // Load first, then the stop in the middle of it.
  const auto deadline = Clock::now() + 10s;
  while (complete < 2000 && Clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  REQUIRE(complete >= 2000);
  daemon->signal(SIGTERM);
  CHECK(daemon->wait_exit(15s) == 0);
  running = false;
  clients.clear();
  WARN(fmt::format("{} complete answers, {} refused or closed before an answer, {} cut",
                   complete.load(), refused_or_closed.load(), cut.load()));
  CHECK(cut == 0);
  CHECK(daemon->count_log("still open") == 0);
}

}  // namespace netsvcd::test
