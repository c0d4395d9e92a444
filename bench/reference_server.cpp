// reference_server: the benchmark's "practical limit of this machine" for a connect-answer-close
// service, and nothing else: one thread per core, each with its own SO_REUSEPORT listening
// socket on ADDRESS:PORT, a blocking accept4, one write of the message, close. No parsing, no
// logging, no timeouts. It runs until a signal kills it (bench/run.py sends SIGTERM).
//   reference_server ADDRESS PORT [--threads N] [--message TEXT]
// ADDRESS is a numeric IPv4 or IPv6 address; the message gets a "\n" appended (default
// "Hello World", as netsvcd's hello).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "reference_server: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

[[noreturn]] void usage() {
  std::fprintf(stderr, "usage: reference_server ADDRESS PORT [--threads N] [--message TEXT]\n");
  std::exit(2);
}

int listen_on(const sockaddr_storage& address, socklen_t length) {
  const int fd = socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  const int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0) die("SO_REUSEADDR");
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) die("SO_REUSEPORT");
  if (bind(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0) die("bind");
  if (listen(fd, SOMAXCONN) != 0) die("listen");
  return fd;
}

void serve(int listener, const std::string& answer) {
  for (;;) {
    const int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;  // ECONNABORTED, EMFILE, EINTR...: take the next one
    // A short write of a few bytes into an empty socket buffer does not happen; errors (the
    // client already gone) are the client's business.
    [[maybe_unused]] const ssize_t written = write(fd, answer.data(), answer.size());
    close(fd);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) usage();
  const char* host = argv[1];
  const long port = std::strtol(argv[2], nullptr, 10);
  if (port < 1 || port > 65535) usage();
  long threads = sysconf(_SC_NPROCESSORS_ONLN);
  std::string message = "Hello World";
  for (int i = 3; i < argc; ++i) {
    const std::string option = argv[i];
    if (i + 1 >= argc) usage();
    if (option == "--threads") {
      threads = std::strtol(argv[++i], nullptr, 10);
    } else if (option == "--message") {
      message = argv[++i];
    } else {
      usage();
    }
  }
  if (threads < 1 || threads > 1024) usage();
  const std::string answer = message + "\n";

  sockaddr_storage address{};
  socklen_t length = 0;
  if (auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
      inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(port));
    length = sizeof(sockaddr_in);
  } else if (auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
             inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(port));
    length = sizeof(sockaddr_in6);
  } else {
    usage();
  }

  std::signal(SIGPIPE, SIG_IGN);
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  // Every socket is bound before any thread starts, so once the port answers, all of them do.
  std::vector<int> listeners;
  for (long i = 0; i < threads; ++i)
    listeners.push_back(listen_on(address, length));
  std::vector<std::thread> workers;
  for (const int fd : listeners)
    workers.emplace_back(serve, fd, std::cref(answer));
  for (auto& worker : workers)
    worker.join();
}
