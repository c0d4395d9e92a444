#include "support/client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

namespace netsvcd::test {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

std::runtime_error system_failure(const std::string& what, int error) {
  return std::runtime_error(what + ": " + std::strerror(error));
}

// Fills `storage` for address:port; returns its length.
socklen_t make_address(std::string_view address, std::uint16_t port, sockaddr_storage& storage) {
  const std::string text(address);
  storage = {};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  if (::inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    return sizeof(sockaddr_in);
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (::inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    return sizeof(sockaddr_in6);
  }
  throw std::runtime_error("not an IP address: " + text);
}

// Connects non-blocking within the deadline; returns the descriptor or -errno.
int connect_socket(std::string_view address, std::uint16_t port, Clock::time_point deadline,
                   std::optional<int> receive_buffer, std::string_view source) {
  sockaddr_storage storage;
  const socklen_t length = make_address(address, port, storage);
  const int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  if (receive_buffer) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &*receive_buffer, sizeof *receive_buffer);
  }
  if (!source.empty()) {
    sockaddr_storage local;
    const socklen_t local_length = make_address(source, 0, local);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), local_length) != 0) {
      const int error = errno;
      ::close(fd);
      return -error;
    }
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0 && errno != EINPROGRESS) {
    const int error = errno;
    ::close(fd);
    return -error;
  }
  pollfd p{fd, POLLOUT, 0};
  if (::poll(&p, 1, remaining_ms(deadline)) != 1) {
    ::close(fd);
    return -ETIMEDOUT;
  }
  int error = 0;
  socklen_t size = sizeof error;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size);
  if (error != 0) {
    ::close(fd);
    return -error;
  }
  return fd;
}

}  // namespace

Connection::Connection(std::string_view address, std::uint16_t port,
                       std::chrono::milliseconds timeout, std::optional<int> receive_buffer,
                       std::string_view source) {
  const int fd = connect_socket(address, port, Clock::now() + timeout, receive_buffer, source);
  if (fd < 0) {
    throw system_failure("connect to " + std::string(address) + " port " + std::to_string(port),
                         -fd);
  }
  fd_ = fd;
}

Connection::~Connection() {
  if (fd_ >= 0) ::close(fd_);
}

Connection::Connection(Connection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), end_error_(other.end_error_) {}

void Connection::send(std::string_view data) {
  const auto deadline = Clock::now() + 5s;
  while (!data.empty()) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN) throw system_failure("send", errno);
    pollfd p{fd_, POLLOUT, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) != 1) throw std::runtime_error("send timed out");
  }
}

std::string Connection::read(std::size_t count, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string data;
  char buffer[65536];
  while (data.size() < count) {
    const ssize_t n = ::recv(fd_, buffer, std::min(sizeof buffer, count - data.size()), 0);
    if (n > 0) {
      data.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) {
      end_error_ = 0;
      return data;
    }
    if (errno != EAGAIN) {
      end_error_ = errno;
      return data;
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) != 1) {
      throw std::runtime_error("read timed out after " + std::to_string(data.size()) + " bytes");
    }
  }
  return data;
}

std::string Connection::read_some(std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) {
    throw std::runtime_error("read timed out");
  }
  char buffer[65536];
  const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
  if (n < 0 && errno != EAGAIN) end_error_ = errno;
  return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
}

std::string Connection::read_to_end(std::chrono::milliseconds timeout) {
  return read(std::string::npos, timeout);
}

void Connection::reset() {
  const linger abort{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  ::close(fd_);
  fd_ = -1;
}

std::string fetch(std::string_view address, std::uint16_t port, std::string_view request,
                  std::chrono::milliseconds timeout) {
  Connection connection(address, port, timeout);
  if (!request.empty()) connection.send(request);
  return connection.read_to_end(timeout);
}

HttpAnswer http_get(Connection& connection, std::string_view path) {
  connection.send("GET " + std::string(path) + " HTTP/1.1\r\nHost: test\r\n\r\n");
  HttpAnswer answer;
  std::size_t head_end = std::string::npos;
  while ((head_end = answer.text.find("\r\n\r\n")) == std::string::npos) {
    const auto more = connection.read_some();
    if (more.empty()) return answer;
    answer.text += more;
  }
  // Field names are case-insensitive: HAProxy, for one, sends them in lower case.
  std::string head = answer.text.substr(0, head_end);
  std::transform(head.begin(), head.end(), head.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  constexpr std::string_view kLength = "\r\ncontent-length:";
  const auto length_at = head.find(kLength);
  if (length_at == std::string::npos) {
    throw std::runtime_error("an answer without Content-Length: " + answer.text);
  }
  const auto length = std::stoul(answer.text.substr(length_at + kLength.size()));
  while (answer.text.size() < head_end + 4 + length) {
    const auto more = connection.read_some();
    if (more.empty()) return answer;
    answer.text += more;
  }
  answer.complete = true;
  return answer;
}

bool refused(std::string_view address, std::uint16_t port) {
  const int fd = connect_socket(address, port, Clock::now() + 5s, std::nullopt, {});
  if (fd >= 0) ::close(fd);
  return fd == -ECONNREFUSED;
}

bool wait_for_port(std::string_view address, std::uint16_t port,
                   std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    const int fd = connect_socket(address, port, deadline, std::nullopt, {});
    if (fd >= 0) {
      ::close(fd);
      return true;
    }
    if (fd != -ECONNREFUSED) return false;
    // Nothing tells us when a port opens: retry a refused connect, briefly apart.
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

}  // namespace netsvcd::test
