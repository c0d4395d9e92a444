// NotifySocket: a datagram socket standing in for systemd's end of $NOTIFY_SOCKET, so tests read
// the daemon's real sd_notify messages (and the descriptors sent with FDSTORE=1). Owned by one
// test; used from the test thread only.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace netsvcd::test {

using namespace std::chrono_literals;

class TempDir;

// A descriptor owned by the test, closed when it goes.
class OwnedFd {
 public:
  explicit OwnedFd(int fd) : fd_(fd) {}
  OwnedFd(OwnedFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  OwnedFd& operator=(OwnedFd&&) = delete;
  ~OwnedFd();
  int get() const { return fd_; }

 private:
  int fd_;
};

struct NotifyMessage {
  std::map<std::string, std::string> fields;  // READY=1 ► fields["READY"] == "1"
  std::vector<OwnedFd> fds;

  bool has(std::string_view key) const { return fields.contains(std::string(key)); }
  std::string get(std::string_view key) const;
};

class NotifySocket {
 public:
  explicit NotifySocket(const TempDir& dir);
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  // "NOTIFY_SOCKET=/tmp/…/notify", for LaunchOptions::environment.
  std::string environment() const { return "NOTIFY_SOCKET=" + path_.string(); }

  // The next message, or nullopt if none arrives in time.
  std::optional<NotifyMessage> next(std::chrono::milliseconds timeout = 10s);
  // The next message that has `key`, skipping others; nullopt if none arrives in time.
  std::optional<NotifyMessage> next_with(std::string_view key,
                                         std::chrono::milliseconds timeout = 10s);

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

// The address a listening socket is bound to, as "127.0.0.1:8080" or "[::1]:8080".
std::string bound_address(int fd);

}  // namespace netsvcd::test
