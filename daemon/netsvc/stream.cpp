#include "netsvc/stream.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace netsvc {

Stream::Stream(UniqueFd fd, std::string peer, std::chrono::milliseconds io_timeout)
    : fd_(std::move(fd)), peer_(std::move(peer)), io_timeout_(io_timeout) {}

Status Stream::wait(short events) {
  const auto deadline = std::chrono::steady_clock::now() + io_timeout_;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return Failure{kExitTempFail, peer_ + ": the server was silent for " +
                                        std::to_string(io_timeout_.count()) + " ms"};
    }
    pollfd entry{fd_.get(), events, 0};
    const int ready = ::poll(&entry, 1, static_cast<int>(left.count()));
    if (ready > 0) return done();
    if (ready < 0 && errno != EINTR) {
      return Failure{kExitProtocol, peer_ + ": poll: " + std::strerror(errno)};
    }
  }
}

Outcome<std::size_t> Stream::read_some(char* data, std::size_t size) {
  for (;;) {
    const auto got = ::recv(fd_.get(), data, size, 0);
    if (got >= 0) return static_cast<std::size_t>(got);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return Failure{kExitProtocol, peer_ + ": reading: " + std::strerror(errno)};
    }
    if (auto waited = wait(POLLIN); !waited) return waited.failure();
  }
}

Status Stream::write_all(std::string_view data) {
  while (!data.empty()) {
    // MSG_NOSIGNAL: a server that closed early is an error to report, not a SIGPIPE.
    const auto sent = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
    if (sent >= 0) {
      data.remove_prefix(static_cast<std::size_t>(sent));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return Failure{kExitProtocol, peer_ + ": sending: " + std::strerror(errno)};
    }
    if (auto waited = wait(POLLOUT); !waited) return waited.failure();
  }
  return done();
}

Outcome<std::string> Stream::read_to_end(std::size_t limit) {
  std::string text;
  char buffer[16384];
  for (;;) {
    auto got = read_some(buffer, sizeof buffer);
    if (!got) return got.failure();
    if (*got == 0) return text;
    if (text.size() + *got > limit) {
      return Failure{kExitProtocol,
                     peer_ + ": answer longer than " + std::to_string(limit) + " bytes"};
    }
    text.append(buffer, *got);
  }
}

}  // namespace netsvc
