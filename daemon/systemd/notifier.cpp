#include "systemd/notifier.hpp"

#include <cstring>
#include <ctime>
#include <string>

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

namespace netsvcd::systemd {
namespace {

// A STATUS= value is one line: a newline would start a new assignment.
std::string status_line(std::string_view status) {
  std::string line = "STATUS=";
  for (const char c : status)
    line += c == '\n' ? ' ' : c;
  return line;
}

std::uint64_t monotonic_usec() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000u +
         static_cast<std::uint64_t>(now.tv_nsec) / 1'000u;
}

}  // namespace

Notifier::Notifier() {
  std::uint64_t usec = 0;
  if (::sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_interval_ = std::chrono::microseconds(usec / 2);
  }
}

void Notifier::ready(std::string_view status) const {
  send("READY=1\n" + status_line(status));
}

void Notifier::reloading(std::string_view status) const {
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_usec()) + "\n" +
       status_line(status));
}

void Notifier::stopping(std::string_view status) const {
  send("STOPPING=1\n" + status_line(status));
}

void Notifier::status(std::string_view status) const {
  send(status_line(status));
}

void Notifier::watchdog() const {
  send("WATCHDOG=1");
}

void Notifier::store_fds(std::string_view name, std::span<const int> fds) const {
  if (fds.empty()) return;
  const std::string message = "FDSTORE=1\nFDNAME=" + std::string(name);
  const int sent = ::sd_pid_notify_with_fds(0, 0, message.c_str(), fds.data(),
                                            static_cast<unsigned>(fds.size()));
  if (sent < 0)
    spdlog::warn("cannot store the sockets of {} with systemd: {}", name, std::strerror(-sent));
}

void Notifier::remove_fds(std::string_view name) const {
  send("FDSTOREREMOVE=1\nFDNAME=" + std::string(name));
}

void Notifier::send(const std::string& message) const {
  // Returns 0 without NOTIFY_SOCKET. A failure to reach systemd must not stop the service.
  if (const int sent = ::sd_notify(0, message.c_str()); sent < 0) {
    spdlog::debug("sd_notify failed: {}", std::strerror(-sent));
  }
}

}  // namespace netsvcd::systemd
