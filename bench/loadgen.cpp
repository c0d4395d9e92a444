// loadgen: the benchmark's load generator for connect-answer-close services and for holding many
// connections open (bench/run.py drives it). Linux epoll, no library beyond the standard one.
// Loopback only: any address but 127.0.0.0/8 and ::1 is refused.
//
//   loadgen oneshot --port P [--host 127.0.0.1] [--concurrency 64] [--duration 5]
//                   [--max-connections N] [--timeout 5] [--send TEXT] [--expect-bytes N]
//                   [--threads 1] [--quiet]
//     CONCURRENCY clients, each in a loop: a non-blocking connect, the optional TEXT sent, read
//     until EOF, close, and at once the next connection. New connections stop at DURATION
//     seconds or after MAX-CONNECTIONS attempts, whichever comes first; the ones in flight then
//     finish, each bounded by TIMEOUT seconds from its connect. One JSON object on stdout:
//     connections completed, the rate, errors by kind, latency percentiles (connect start to
//     EOF, every sample kept), the wall time; a summary on stderr unless --quiet.
//
//   loadgen hold --port P [--host 127.0.0.1] --connections N [--send TEXT]
//                [--expect none|http|BYTES] [--timeout 10] [--hold-seconds 300] [--parallel 64]
//     Opens N connections (at most PARALLEL being set up at a time), sends TEXT on each (a full
//     request, or half of one), reads the answer if one is expected (http: headers, then
//     Content-Length bytes of body; a number: that many bytes), then holds all of them open.
//     It prints one JSON line (held, failed, errors) and then "ready" on stdout, and waits until
//     stdin closes or HOLD-SECONDS pass; then it closes them all and prints a last JSON line
//     (how many the server closed meanwhile).
//
//   loadgen udp --port P [--host 127.0.0.1] [--concurrency 64] [--duration 5]
//               [--max-connections N] [--timeout 0.2] [--send TEXT] [--answer-bytes MIN:MAX]
//               [--threads 1] [--quiet]
//     CONCURRENCY clients, each its own UDP socket bound to the host's loopback address with an
//     ephemeral port (1024 or above: never a service port, which servers rightly refuse to
//     answer) and connected to the server, each with one datagram outstanding: send TEXT (an
//     empty datagram by default), wait for the answer, at once the next. An answer not back
//     within TIMEOUT seconds counts as lost, and the client goes on from a fresh socket (a late
//     answer must not pass for the next one's). An answer must end with "\n" and, with
//     --answer-bytes, be MIN to MAX bytes long, or it counts as unexpected. Bounded as oneshot
//     is, MAX-CONNECTIONS counting datagrams sent; the same JSON object, with "lost" added.
//
// TEXT takes C escapes: \r \n \t \\ \xHH. Exit status 0 unless the command line is wrong (2) or
// the setup fails (1); errors on connections are counted, not fatal.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::duration;
using std::chrono::duration_cast;
using std::chrono::nanoseconds;

// The default for --threads: 2. Measured on this project's 2-core machine against the reference
// server (one accept loop per core) at 64 clients, 3 s runs alternated: 1 thread gave 19-25k
// connections/s, 2 threads 20-35k, always more. One thread alone cannot keep both of the
// server's accept loops busy; the kernel's work for a connection is split between the two
// sides, so the client side needs both cores too.
constexpr int kDefaultThreads = 2;

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "loadgen: %s\n"
               "usage: loadgen oneshot --port P [--host 127.0.0.1] [--concurrency N] "
               "[--duration S] [--max-connections N] [--timeout S] [--send TEXT] "
               "[--expect-bytes N] [--threads N] [--quiet]\n"
               "       loadgen hold --port P [--host 127.0.0.1] --connections N [--send TEXT] "
               "[--expect none|http|BYTES] [--timeout S] [--hold-seconds S] [--parallel N]\n"
               "       loadgen udp --port P [--host 127.0.0.1] [--concurrency N] [--duration S] "
               "[--max-connections N] [--timeout S] [--send TEXT] [--answer-bytes MIN:MAX] "
               "[--threads N] [--quiet]\n",
               why);
  std::exit(2);
}

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "loadgen: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return duration<double>(to - from).count();
}

// ---- command line ----------------------------------------------------------------------------

struct Options {
  std::string mode;
  std::string host = "127.0.0.1";
  int port = 0;
  int concurrency = 64;               // oneshot
  int connections = 0;                // hold
  double duration = 5;                // oneshot
  std::uint64_t max_connections = 0;  // oneshot; 0: only the duration bounds it
  double timeout = -1;                // per connection; default 5 (oneshot) or 10 (hold)
  std::string send;
  std::optional<std::uint64_t> expect_bytes;  // oneshot
  std::string expect = "none";                // hold
  std::size_t answer_min = 1;                 // udp
  std::size_t answer_max = 65536;             // udp
  int threads = kDefaultThreads;
  double hold_seconds = 300;
  int parallel = 64;
  bool quiet = false;
};

std::string unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    switch (const char c = text[++i]) {
      case 'r':
        out += '\r';
        break;
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case '\\':
        out += '\\';
        break;
      case 'x': {
        if (i + 2 >= text.size()) usage("bad \\x escape");
        const std::string hex(text.substr(i + 1, 2));
        char* end = nullptr;
        const long value = std::strtol(hex.c_str(), &end, 16);
        if (hex.size() != 2 || *end != '\0') usage("bad \\x escape");
        out += static_cast<char>(value);
        i += 2;
        break;
      }
      default:
        out += '\\';
        out += c;
    }
  }
  return out;
}

double parse_number(const char* text, const char* name, double low, double high) {
  char* end = nullptr;
  const double value = std::strtod(text, &end);
  if (end == text || *end != '\0' || !(value >= low && value <= high)) {
    static std::string why;
    why = std::string("bad value for ") + name + ": " + text;
    usage(why.c_str());
  }
  return value;
}

Options parse(int argc, char** argv) {
  if (argc < 2) usage("no mode given");
  Options o;
  o.mode = argv[1];
  if (o.mode != "oneshot" && o.mode != "hold" && o.mode != "udp") {
    usage("the mode is oneshot, hold or udp");
  }
  for (int i = 2; i < argc; ++i) {
    const std::string name = argv[i];
    if (name == "--quiet") {
      o.quiet = true;
      continue;
    }
    if (i + 1 >= argc) usage(("missing value for " + name).c_str());
    const char* value = argv[++i];
    if (name == "--host")
      o.host = value;
    else if (name == "--port")
      o.port = static_cast<int>(parse_number(value, "--port", 1, 65535));
    else if (name == "--concurrency")
      o.concurrency = static_cast<int>(parse_number(value, "--concurrency", 1, 100000));
    else if (name == "--connections")
      o.connections = static_cast<int>(parse_number(value, "--connections", 1, 1000000));
    else if (name == "--duration")
      o.duration = parse_number(value, "--duration", 0.001, 86400);
    else if (name == "--max-connections")
      o.max_connections =
          static_cast<std::uint64_t>(parse_number(value, "--max-connections", 1, 1e15));
    else if (name == "--timeout")
      o.timeout = parse_number(value, "--timeout", 0.001, 3600);
    else if (name == "--send")
      o.send = unescape(value);
    else if (name == "--expect-bytes")
      o.expect_bytes = static_cast<std::uint64_t>(parse_number(value, "--expect-bytes", 0, 1e15));
    else if (name == "--expect")
      o.expect = value;
    else if (name == "--answer-bytes") {
      const std::string range = value;
      const auto colon = range.find(':');
      if (colon == std::string::npos) usage("--answer-bytes takes MIN:MAX");
      o.answer_min = static_cast<std::size_t>(
          parse_number(range.substr(0, colon).c_str(), "--answer-bytes", 1, 65536));
      o.answer_max = static_cast<std::size_t>(
          parse_number(range.substr(colon + 1).c_str(), "--answer-bytes", 1, 65536));
      if (o.answer_min > o.answer_max) usage("--answer-bytes: MIN above MAX");
    } else if (name == "--threads")
      o.threads = static_cast<int>(parse_number(value, "--threads", 1, 64));
    else if (name == "--hold-seconds")
      o.hold_seconds = parse_number(value, "--hold-seconds", 0, 86400);
    else if (name == "--parallel")
      o.parallel = static_cast<int>(parse_number(value, "--parallel", 1, 100000));
    else
      usage(("unknown option " + name).c_str());
  }
  if (o.port == 0) usage("--port is required");
  if (o.mode == "hold" && o.connections == 0) usage("hold needs --connections");
  if (o.timeout < 0) o.timeout = o.mode == "hold" ? 10 : o.mode == "udp" ? 0.2 : 5;
  if (o.expect != "none" && o.expect != "http") {
    parse_number(o.expect.c_str(), "--expect", 1, 1e15);
  }
  return o;
}

// ---- the address: loopback only --------------------------------------------------------------

struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = 0;
};

Address loopback_address(const std::string& host, int port) {
  Address a;
  if (auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
      inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    if ((ntohl(v4->sin_addr.s_addr) >> 24) != 127) usage("only 127.0.0.0/8 and ::1 are allowed");
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(port));
    a.length = sizeof(sockaddr_in);
    a.family = AF_INET;
    return a;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) != 1) {
    usage("--host must be a numeric address (127.0.0.0/8 or ::1)");
  }
  if (!IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr)) usage("only 127.0.0.0/8 and ::1 are allowed");
  v6->sin6_family = AF_INET6;
  v6->sin6_port = htons(static_cast<std::uint16_t>(port));
  a.length = sizeof(sockaddr_in6);
  a.family = AF_INET6;
  return a;
}

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the limit now in force.
rlim_t raise_file_limit() {
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) != 0) die("getrlimit");
  if (files.rlim_cur != files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &files) != 0) die("setrlimit");
  }
  return files.rlim_cur;
}

// ---- error counting --------------------------------------------------------------------------

std::string errno_kind(int error) {
  switch (error) {
    case ECONNREFUSED:
      return "refused";
    case ECONNRESET:
      return "reset";
    case ETIMEDOUT:
      return "timeout";
    default: {
      const char* name = strerrorname_np(error);
      return name != nullptr ? name : "errno_" + std::to_string(error);
    }
  }
}

using ErrorCounts = std::map<std::string, std::uint64_t>;

std::string json_errors(const ErrorCounts& errors) {
  std::string out = "{";
  for (const auto& [kind, count] : errors) {
    if (out.size() > 1) out += ',';
    out += '"' + kind + "\":" + std::to_string(count);
  }
  return out + '}';
}

std::uint64_t total(const ErrorCounts& errors) {
  std::uint64_t sum = 0;
  for (const auto& entry : errors)
    sum += entry.second;
  return sum;
}

int start_connect(const Address& address, int& error) {
  const int fd = socket(address.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = errno;
    return -1;
  }
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address.storage), address.length) != 0 &&
      errno != EINPROGRESS) {
    error = errno;
    close(fd);
    return -1;
  }
  return fd;
}

// Data of an epoll registration: the slot and its generation, so that a stale event (for a
// connection the slot has since replaced) is recognised.
std::uint64_t tag(std::uint32_t slot, std::uint32_t generation) {
  return (static_cast<std::uint64_t>(generation) << 32) | slot;
}

// ---- oneshot ---------------------------------------------------------------------------------

struct Shared {
  const Options* options = nullptr;
  Address address;
  Clock::time_point start;
  Clock::time_point end;  // no connection starts after this
  std::atomic<std::uint64_t> attempted{0};
  std::atomic<std::int64_t> window_end_ns{-1};  // when new connections stopped, from start
};

struct Result {
  std::uint64_t completed = 0;
  std::uint64_t completed_in_window = 0;
  std::uint64_t bytes = 0;
  ErrorCounts errors;
  std::vector<std::uint64_t> latencies_ns;
};

class OneshotWorker {
 public:
  OneshotWorker(Shared& shared, int clients) : shared_(shared), slots_(clients) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) die("epoll_create1");
    buffer_.resize(64 * 1024);
  }
  ~OneshotWorker() { close(epoll_); }
  OneshotWorker(const OneshotWorker&) = delete;
  OneshotWorker& operator=(const OneshotWorker&) = delete;

  Result& result() { return result_; }

  void run() {
    const Options& o = *shared_.options;
    timeout_ = duration_cast<Clock::duration>(duration<double>(o.timeout));
    for (std::uint32_t i = 0; i < slots_.size(); ++i)
      begin(i);
    std::vector<epoll_event> events(256);
    while (active_ > 0) {
      const auto now = Clock::now();
      if (accepting_ && now >= shared_.end) stop_starting(shared_.end);
      auto wake = now + std::chrono::milliseconds(100);
      if (!deadlines_.empty()) wake = std::min(wake, deadlines_.front().when);
      if (accepting_) wake = std::min(wake, shared_.end);
      const auto wait_ns = duration_cast<nanoseconds>(wake - now).count();
      const int wait_ms = wait_ns <= 0 ? 0 : static_cast<int>((wait_ns + 999'999) / 1'000'000);
      const int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), wait_ms);
      if (n < 0 && errno != EINTR) die("epoll_wait");
      for (int i = 0; i < n; ++i) {
        const auto slot = static_cast<std::uint32_t>(events[i].data.u64 & 0xffffffffu);
        const auto generation = static_cast<std::uint32_t>(events[i].data.u64 >> 32);
        if (slots_[slot].fd >= 0 && slots_[slot].generation == generation) {
          on_event(slot, events[i].events);
        }
      }
      expire(Clock::now());
    }
  }

 private:
  struct Slot {
    int fd = -1;
    std::uint32_t generation = 0;
    Clock::time_point started;
    std::size_t sent = 0;
    std::uint64_t received = 0;
    bool sending = false;
  };
  struct Deadline {
    Clock::time_point when;
    std::uint32_t slot;
    std::uint32_t generation;
  };

  void stop_starting(Clock::time_point when) {
    accepting_ = false;
    const auto ns = duration_cast<nanoseconds>(when - shared_.start).count();
    std::int64_t expected = -1;
    shared_.window_end_ns.compare_exchange_strong(expected, ns);
  }

  // Starts the slot's next connection, if new ones may still start.
  void begin(std::uint32_t index) {
    const Options& o = *shared_.options;
    Slot& s = slots_[index];
    for (;;) {
      if (!accepting_) return;
      const auto now = Clock::now();
      if (now >= shared_.end) {
        stop_starting(shared_.end);
        return;
      }
      if (o.max_connections != 0 && shared_.attempted.fetch_add(1) >= o.max_connections) {
        stop_starting(now);
        return;
      }
      int error = 0;
      const int fd = start_connect(shared_.address, error);
      if (fd < 0) {
        // Refused at once (nothing listens), or out of ports or descriptors: counted, and the
        // slot tries again; the duration and --max-connections still bound the loop.
        ++result_.errors[errno_kind(error)];
        continue;
      }
      s.fd = fd;
      s.generation++;
      s.started = now;
      s.sent = 0;
      s.received = 0;
      s.sending = !o.send.empty();
      epoll_event event{};
      event.events = s.sending ? EPOLLOUT : EPOLLIN;
      event.data.u64 = tag(index, s.generation);
      if (epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event) != 0) die("epoll_ctl");
      deadlines_.push_back({now + timeout_, index, s.generation});
      ++active_;
      return;
    }
  }

  void finish(std::uint32_t index, const char* error_kind) {
    Slot& s = slots_[index];
    const auto now = Clock::now();
    close(s.fd);
    s.fd = -1;
    --active_;
    if (error_kind != nullptr) {
      ++result_.errors[error_kind];
    } else {
      ++result_.completed;
      if (accepting_ && now <= shared_.end) ++result_.completed_in_window;
      result_.latencies_ns.push_back(
          static_cast<std::uint64_t>(duration_cast<nanoseconds>(now - s.started).count()));
    }
    begin(index);
  }

  void fail(std::uint32_t index, int error) {
    const std::string kind = errno_kind(error);
    ++result_.errors[kind];
    Slot& s = slots_[index];
    close(s.fd);
    s.fd = -1;
    --active_;
    begin(index);
  }

  void on_event(std::uint32_t index, std::uint32_t events) {
    const Options& o = *shared_.options;
    Slot& s = slots_[index];
    if (s.sending) {
      int error = 0;
      socklen_t length = sizeof error;
      if ((events & (EPOLLERR | EPOLLHUP)) != 0 &&
          getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error != 0) {
        fail(index, error);
        return;
      }
      const ssize_t n = send(s.fd, o.send.data() + s.sent, o.send.size() - s.sent, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno != EAGAIN && errno != EINTR) fail(index, errno);
        return;
      }
      s.sent += static_cast<std::size_t>(n);
      if (s.sent < o.send.size()) return;
      s.sending = false;
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.u64 = tag(index, s.generation);
      if (epoll_ctl(epoll_, EPOLL_CTL_MOD, s.fd, &event) != 0) die("epoll_ctl");
      return;
    }
    for (;;) {
      const ssize_t n = read(s.fd, buffer_.data(), buffer_.size());
      if (n > 0) {
        s.received += static_cast<std::uint64_t>(n);
        result_.bytes += static_cast<std::uint64_t>(n);
        continue;
      }
      if (n == 0) {
        const char* kind = nullptr;
        if (o.expect_bytes && s.received < *o.expect_bytes) kind = "short";
        if (o.expect_bytes && s.received > *o.expect_bytes) kind = "unexpected";
        finish(index, kind);
        return;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN) fail(index, errno);
      return;
    }
  }

  void expire(Clock::time_point now) {
    while (!deadlines_.empty() && deadlines_.front().when <= now) {
      const Deadline d = deadlines_.front();
      deadlines_.pop_front();
      if (slots_[d.slot].fd >= 0 && slots_[d.slot].generation == d.generation) {
        finish(d.slot, "timeout");
      }
    }
  }

  Shared& shared_;
  std::vector<Slot> slots_;
  std::deque<Deadline> deadlines_;
  std::vector<char> buffer_;
  Clock::duration timeout_{};
  Result result_;
  int epoll_ = -1;
  std::size_t active_ = 0;
  bool accepting_ = true;
};

// ---- udp -------------------------------------------------------------------------------------

// A descriptor closed with its owner.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// A UDP socket bound to the loopback address of the server's family with an ephemeral port and
// connected to the server: the kernel then drops datagrams from any other source, and reports
// the server's ICMP port unreachable as ECONNREFUSED.
Fd udp_client(const Address& server, int& error) {
  Fd fd(socket(server.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    error = errno;
    return fd;
  }
  Address local = server;
  std::uint16_t port = 0;
  if (server.family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&local.storage)->sin_port = 0;
  } else {
    reinterpret_cast<sockaddr_in6*>(&local.storage)->sin6_port = 0;
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  if (bind(fd.get(), reinterpret_cast<const sockaddr*>(&local.storage), local.length) != 0 ||
      getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &length) != 0 ||
      connect(fd.get(), reinterpret_cast<const sockaddr*>(&server.storage), server.length) != 0) {
    error = errno;
    return Fd();
  }
  port = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                          : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  // Every server refuses to answer a source port below 1024 (a reflection to a service); the
  // kernel's ephemeral range starts far above it unless someone changed it.
  if (port < 1024) {
    std::fprintf(stderr, "loadgen: the kernel gave ephemeral port %u, below 1024\n", port);
    std::exit(1);
  }
  return fd;
}

class UdpWorker {
 public:
  UdpWorker(Shared& shared, int clients) : shared_(shared), slots_(clients) {
    epoll_ = Fd(epoll_create1(EPOLL_CLOEXEC));
    if (epoll_.get() < 0) die("epoll_create1");
    // Larger than any datagram: a longer answer is seen whole, and counted as unexpected.
    buffer_.resize(65536 + 1);
  }

  Result& result() { return result_; }

  void run() {
    const Options& o = *shared_.options;
    timeout_ = duration_cast<Clock::duration>(duration<double>(o.timeout));
    for (std::uint32_t i = 0; i < slots_.size(); ++i)
      next(i);
    std::vector<epoll_event> events(256);
    while (outstanding_ > 0) {
      const auto now = Clock::now();
      if (sending_ && now >= shared_.end) stop_sending(shared_.end);
      auto wake = now + std::chrono::milliseconds(100);
      for (const Slot& s : slots_) {
        if (s.waiting) wake = std::min(wake, s.sent + timeout_);
      }
      if (sending_) wake = std::min(wake, shared_.end);
      const auto wait_ns = duration_cast<nanoseconds>(wake - now).count();
      const int wait_ms = wait_ns <= 0 ? 0 : static_cast<int>((wait_ns + 999'999) / 1'000'000);
      const int n =
          epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), wait_ms);
      if (n < 0 && errno != EINTR) die("epoll_wait");
      for (int i = 0; i < n; ++i) {
        const auto slot = static_cast<std::uint32_t>(events[i].data.u64 & 0xffffffffu);
        const auto generation = static_cast<std::uint32_t>(events[i].data.u64 >> 32);
        if (slots_[slot].waiting && slots_[slot].generation == generation) receive(slot);
      }
      const auto after = Clock::now();
      for (std::uint32_t i = 0; i < slots_.size(); ++i) {
        if (slots_[i].waiting && after >= slots_[i].sent + timeout_) {
          // Lost: the socket goes with it, so that its answer, should it come late, is not
          // taken for the next datagram's.
          slots_[i].fd.reset();
          settle(i, "lost");
        }
      }
    }
  }

 private:
  struct Slot {
    Fd fd;
    std::uint32_t generation = 0;
    Clock::time_point sent;
    bool waiting = false;
  };

  void stop_sending(Clock::time_point when) {
    sending_ = false;
    const auto ns = duration_cast<nanoseconds>(when - shared_.start).count();
    std::int64_t expected = -1;
    shared_.window_end_ns.compare_exchange_strong(expected, ns);
  }

  // The slot's next datagram, if new ones may still be sent.
  void next(std::uint32_t index) {
    const Options& o = *shared_.options;
    Slot& s = slots_[index];
    for (;;) {
      if (!sending_) return;
      const auto now = Clock::now();
      if (now >= shared_.end) {
        stop_sending(shared_.end);
        return;
      }
      if (o.max_connections != 0 && shared_.attempted.fetch_add(1) >= o.max_connections) {
        stop_sending(now);
        return;
      }
      int error = 0;
      if (s.fd.get() < 0) {
        s.fd = udp_client(shared_.address, error);
        if (s.fd.get() < 0) {
          ++result_.errors[errno_kind(error)];
          continue;
        }
        s.generation++;
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.u64 = tag(index, s.generation);
        if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, s.fd.get(), &event) != 0) die("epoll_ctl");
      }
      if (send(s.fd.get(), o.send.data(), o.send.size(), 0) < 0) {
        // Refused (the server's port unreachable, reported late), or out of buffer: counted,
        // and the slot tries again; the duration and --max-connections still bound the loop.
        ++result_.errors[errno_kind(errno)];
        continue;
      }
      s.sent = now;
      s.waiting = true;
      ++outstanding_;
      return;
    }
  }

  void settle(std::uint32_t index, const char* error_kind) {
    Slot& s = slots_[index];
    const auto now = Clock::now();
    s.waiting = false;
    --outstanding_;
    if (error_kind != nullptr) {
      ++result_.errors[error_kind];
    } else {
      ++result_.completed;
      if (sending_ && now <= shared_.end) ++result_.completed_in_window;
      result_.latencies_ns.push_back(
          static_cast<std::uint64_t>(duration_cast<nanoseconds>(now - s.sent).count()));
    }
    next(index);
  }

  void receive(std::uint32_t index) {
    const Options& o = *shared_.options;
    Slot& s = slots_[index];
    const ssize_t n = recv(s.fd.get(), buffer_.data(), buffer_.size(), 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      // ECONNREFUSED: the server's port was unreachable; this datagram will get no answer.
      settle(index, errno_kind(errno).c_str());
      return;
    }
    const auto size = static_cast<std::size_t>(n);
    result_.bytes += size;
    const bool shaped = size >= o.answer_min && size <= o.answer_max && buffer_[size - 1] == '\n';
    settle(index, shaped ? nullptr : "unexpected");
  }

  Shared& shared_;
  std::vector<Slot> slots_;
  std::vector<char> buffer_;
  Clock::duration timeout_{};
  Result result_;
  Fd epoll_;
  std::size_t outstanding_ = 0;
  bool sending_ = true;
};

double percentile_ms(const std::vector<std::uint64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  // Nearest rank: the smallest sample with at least p% of the samples at or below it.
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * sorted.size()));
  return static_cast<double>(sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1]) / 1e6;
}

// The oneshot and udp modes: Worker is OneshotWorker or UdpWorker.
template <class Worker>
int run_clients(const Options& o) {
  const rlim_t limit = raise_file_limit();
  if (static_cast<rlim_t>(o.concurrency) + 16 > limit) {
    std::fprintf(stderr, "loadgen: %d clients need more than RLIMIT_NOFILE (%llu) allows\n",
                 o.concurrency, static_cast<unsigned long long>(limit));
    return 1;
  }
  Shared shared;
  shared.options = &o;
  shared.address = loopback_address(o.host, o.port);
  const int threads = std::min(o.threads, o.concurrency);
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < threads; ++t) {
    const int clients = o.concurrency / threads + (t < o.concurrency % threads ? 1 : 0);
    workers.push_back(std::make_unique<Worker>(shared, clients));
  }
  shared.start = Clock::now();
  shared.end = shared.start + duration_cast<Clock::duration>(duration<double>(o.duration));
  std::vector<std::thread> running;
  for (auto& worker : workers)
    running.emplace_back([&worker] { worker->run(); });
  for (auto& thread : running)
    thread.join();
  const auto stopped = Clock::now();

  Result all;
  for (auto& worker : workers) {
    Result& r = worker->result();
    all.completed += r.completed;
    all.completed_in_window += r.completed_in_window;
    all.bytes += r.bytes;
    for (const auto& [kind, count] : r.errors)
      all.errors[kind] += count;
    all.latencies_ns.insert(all.latencies_ns.end(), r.latencies_ns.begin(), r.latencies_ns.end());
  }
  std::sort(all.latencies_ns.begin(), all.latencies_ns.end());
  const double wall = seconds_between(shared.start, stopped);
  const std::int64_t window_ns = shared.window_end_ns.load();
  const double window = window_ns > 0 ? static_cast<double>(window_ns) / 1e9 : wall;
  const double rate = window > 0 ? static_cast<double>(all.completed_in_window) / window : 0;
  double mean = 0;
  for (const auto sample : all.latencies_ns)
    mean += static_cast<double>(sample);
  if (!all.latencies_ns.empty()) mean /= static_cast<double>(all.latencies_ns.size()) * 1e6;
  const double max =
      all.latencies_ns.empty() ? 0 : static_cast<double>(all.latencies_ns.back()) / 1e6;

  std::printf(
      "{\"mode\":\"%s\",\"host\":\"%s\",\"port\":%d,\"concurrency\":%d,\"threads\":%d,"
      "\"attempted\":%llu,\"completed\":%llu,\"completed_in_window\":%llu,\"rate\":%.1f,"
      "\"window_s\":%.4f,\"wall_s\":%.4f,\"bytes\":%llu,\"errors\":%s,\"error_total\":%llu,"
      "\"lost\":%llu,"
      "\"latency_ms\":{\"p50\":%.4f,\"p99\":%.4f,\"p999\":%.4f,\"mean\":%.4f,\"max\":%.4f}}\n",
      o.mode.c_str(), o.host.c_str(), o.port, o.concurrency, threads,
      static_cast<unsigned long long>(all.completed + total(all.errors)),
      static_cast<unsigned long long>(all.completed),
      static_cast<unsigned long long>(all.completed_in_window), rate, window, wall,
      static_cast<unsigned long long>(all.bytes), json_errors(all.errors).c_str(),
      static_cast<unsigned long long>(total(all.errors)),
      static_cast<unsigned long long>(all.errors.count("lost") ? all.errors.at("lost") : 0),
      percentile_ms(all.latencies_ns, 50), percentile_ms(all.latencies_ns, 99),
      percentile_ms(all.latencies_ns, 99.9), mean, max);
  if (!o.quiet) {
    std::fprintf(stderr,
                 "loadgen: %s:%d, %d clients, %d thread(s): %llu %s in %.2f s "
                 "(%.0f/s), %llu error(s) %s; latency p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms\n",
                 o.host.c_str(), o.port, o.concurrency, threads,
                 static_cast<unsigned long long>(all.completed),
                 o.mode == "udp" ? "answers" : "connections", wall, rate,
                 static_cast<unsigned long long>(total(all.errors)),
                 json_errors(all.errors).c_str(), percentile_ms(all.latencies_ns, 50),
                 percentile_ms(all.latencies_ns, 99), percentile_ms(all.latencies_ns, 99.9));
  }
  return 0;
}

// ---- hold ------------------------------------------------------------------------------------

class Holder {
 public:
  explicit Holder(const Options& o) : o_(o), slots_(static_cast<std::size_t>(o.connections)) {
    address_ = loopback_address(o.host, o.port);
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) die("epoll_create1");
    if (o.expect == "http") {
      http_ = true;
    } else if (o.expect != "none") {
      expect_bytes_ = std::strtoull(o.expect.c_str(), nullptr, 10);
    }
    buffer_.resize(64 * 1024);
  }
  ~Holder() { close(epoll_); }
  Holder(const Holder&) = delete;
  Holder& operator=(const Holder&) = delete;

  int run() {
    const rlim_t limit = raise_file_limit();
    if (static_cast<rlim_t>(o_.connections) + 16 > limit) {
      std::fprintf(stderr, "loadgen: %d connections need more than RLIMIT_NOFILE (%llu) allows\n",
                   o_.connections, static_cast<unsigned long long>(limit));
      return 1;
    }
    const auto start = Clock::now();
    const auto timeout = duration_cast<Clock::duration>(duration<double>(o_.timeout));
    std::vector<epoll_event> events(256);
    // Set-up: at most --parallel connections between connect and held at a time.
    while (next_ < slots_.size() || setting_up_ > 0) {
      while (next_ < slots_.size() && setting_up_ < static_cast<std::size_t>(o_.parallel)) {
        open(static_cast<std::uint32_t>(next_++), Clock::now() + timeout);
      }
      const int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 10);
      if (n < 0 && errno != EINTR) die("epoll_wait");
      for (int i = 0; i < n; ++i)
        on_event(events[i].data.u64, events[i].events);
      const auto now = Clock::now();
      for (std::uint32_t i = 0; i < slots_.size(); ++i) {
        Slot& s = slots_[i];
        if (s.fd >= 0 && s.state != State::held && now >= s.deadline) drop(i, "timeout");
      }
    }
    std::size_t held = 0;
    for (const Slot& s : slots_)
      held += s.state == State::held ? 1 : 0;
    std::printf(
        "{\"mode\":\"hold\",\"port\":%d,\"held\":%zu,\"failed\":%llu,\"errors\":%s,"
        "\"setup_s\":%.3f}\nready\n",
        o_.port, held, static_cast<unsigned long long>(total(errors_)),
        json_errors(errors_).c_str(), seconds_between(start, Clock::now()));
    std::fflush(stdout);
    if (!o_.quiet) std::fprintf(stderr, "loadgen: holding %zu connection(s)\n", held);

    // Hold until stdin closes or --hold-seconds pass; count what the server closes meanwhile.
    const auto held_since = Clock::now();
    const auto hold_end =
        held_since + duration_cast<Clock::duration>(duration<double>(o_.hold_seconds));
    bool stdin_open = true;
    epoll_event in{};
    in.events = EPOLLIN;
    in.data.u64 = kStdinTag;
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, STDIN_FILENO, &in) != 0) {
      // A regular file or /dev/null cannot be polled: it is at its end, or will be.
      stdin_open = false;
    }
    while (stdin_open && Clock::now() < hold_end) {
      const auto left = duration_cast<std::chrono::milliseconds>(hold_end - Clock::now()).count();
      const int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()),
                               static_cast<int>(std::clamp<long long>(left + 1, 0, 1000)));
      if (n < 0 && errno != EINTR) die("epoll_wait");
      for (int i = 0; i < n; ++i) {
        if (events[i].data.u64 == kStdinTag) {
          char discard[256];
          const ssize_t got = read(STDIN_FILENO, discard, sizeof discard);
          if (got <= 0 && !(got < 0 && errno == EINTR)) stdin_open = false;
        } else {
          on_event(events[i].data.u64, events[i].events);
        }
      }
    }
    std::size_t closed = 0;
    for (Slot& s : slots_) {
      if (s.fd >= 0) {
        close(s.fd);
        s.fd = -1;
        ++closed;
      }
    }
    std::printf("{\"mode\":\"hold\",\"closed\":%zu,\"dropped_by_server\":%llu,\"held_s\":%.3f}\n",
                closed, static_cast<unsigned long long>(dropped_while_held_),
                seconds_between(held_since, Clock::now()));
    return 0;
  }

 private:
  static constexpr std::uint64_t kStdinTag = ~std::uint64_t{0};
  enum class State { connecting, sending, reading, held, failed };
  struct Slot {
    int fd = -1;
    State state = State::connecting;
    Clock::time_point deadline;
    std::size_t sent = 0;
    std::string head;  // the answer's bytes so far, until it is complete
    std::uint64_t received = 0;
  };

  void open(std::uint32_t index, Clock::time_point deadline) {
    Slot& s = slots_[index];
    int error = 0;
    const int fd = start_connect(address_, error);
    if (fd < 0) {
      ++errors_[errno_kind(error)];
      s.state = State::failed;
      return;
    }
    s.fd = fd;
    s.deadline = deadline;
    s.state = State::connecting;
    epoll_event event{};
    event.events = EPOLLOUT | EPOLLIN;
    event.data.u64 = index;
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event) != 0) die("epoll_ctl");
    ++setting_up_;
  }

  void watch(std::uint32_t index, std::uint32_t events) {
    epoll_event event{};
    event.events = events;
    event.data.u64 = index;
    if (epoll_ctl(epoll_, EPOLL_CTL_MOD, slots_[index].fd, &event) != 0) die("epoll_ctl");
  }

  void drop(std::uint32_t index, const std::string& kind) {
    Slot& s = slots_[index];
    if (s.state == State::held) {
      ++dropped_while_held_;
    } else {
      ++errors_[kind];
      --setting_up_;
    }
    close(s.fd);
    s.fd = -1;
    s.state = State::failed;
    s.head = std::string();
  }

  void hold(std::uint32_t index) {
    Slot& s = slots_[index];
    s.state = State::held;
    s.head = std::string();
    --setting_up_;
    watch(index, EPOLLIN);  // only to see the server close it
  }

  // Whether the answer read so far is complete; sets `bad` when it is malformed.
  bool answer_complete(const Slot& s, bool& bad) const {
    if (expect_bytes_ != 0) {
      bad = s.received > expect_bytes_;
      return s.received >= expect_bytes_;
    }
    const auto end = s.head.find("\r\n\r\n");
    if (end == std::string::npos) {
      bad = s.head.size() > 64 * 1024;
      return false;
    }
    std::string lower = s.head.substr(0, end + 2);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const auto field = lower.find("\r\ncontent-length:");
    if (field == std::string::npos) {
      bad = true;
      return false;
    }
    const std::uint64_t length = std::strtoull(lower.c_str() + field + 17, nullptr, 10);
    const std::uint64_t want = end + 4 + length;
    bad = s.head.size() > want;
    return s.head.size() >= want;
  }

  void on_event(std::uint64_t data, std::uint32_t events) {
    const auto index = static_cast<std::uint32_t>(data);
    Slot& s = slots_[index];
    if (s.fd < 0) return;
    if (s.state == State::connecting) {
      int error = 0;
      socklen_t length = sizeof error;
      if (getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error != 0) {
        drop(index, errno_kind(error));
        return;
      }
      if ((events & EPOLLOUT) == 0) return;
      s.state = State::sending;
    }
    if (s.state == State::sending) {
      while (s.sent < o_.send.size()) {
        const ssize_t n =
            send(s.fd, o_.send.data() + s.sent, o_.send.size() - s.sent, MSG_NOSIGNAL);
        if (n < 0) {
          if (errno == EAGAIN) return;
          if (errno == EINTR) continue;
          drop(index, errno_kind(errno));
          return;
        }
        s.sent += static_cast<std::size_t>(n);
      }
      if (!http_ && expect_bytes_ == 0) {
        hold(index);
        return;
      }
      s.state = State::reading;
      watch(index, EPOLLIN);
      return;
    }
    // Reading the answer, or held (where anything read is discarded and EOF means dropped).
    for (;;) {
      const ssize_t n = read(s.fd, buffer_.data(), buffer_.size());
      if (n > 0) {
        if (s.state != State::reading) continue;
        s.received += static_cast<std::uint64_t>(n);
        if (http_) s.head.append(buffer_.data(), static_cast<std::size_t>(n));
        bool bad = false;
        if (answer_complete(s, bad)) {
          if (bad) {
            drop(index, "unexpected");
          } else {
            hold(index);
          }
          return;
        }
        if (bad) {
          drop(index, "unexpected");
          return;
        }
        continue;
      }
      if (n == 0) {
        drop(index, "short");
        return;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN) drop(index, errno_kind(errno));
      return;
    }
  }

  const Options& o_;
  Address address_;
  std::vector<Slot> slots_;
  std::vector<char> buffer_;
  ErrorCounts errors_;
  std::uint64_t dropped_while_held_ = 0;
  std::uint64_t expect_bytes_ = 0;
  std::size_t next_ = 0;
  std::size_t setting_up_ = 0;
  int epoll_ = -1;
  bool http_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  std::signal(SIGPIPE, SIG_IGN);
  if (o.mode == "oneshot") return run_clients<OneshotWorker>(o);
  if (o.mode == "udp") return run_clients<UdpWorker>(o);
  Holder holder(o);
  return holder.run();
}
