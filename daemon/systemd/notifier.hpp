// Notifier: tells the service manager the daemon's state over $NOTIFY_SOCKET (sd_notify(3)):
// READY, RELOADING, STOPPING, STATUS, WATCHDOG, and hands listening sockets to systemd's file
// descriptor store. Without NOTIFY_SOCKET every call does nothing, so netsvcd runs the same by
// hand. Owned by the Daemon; safe from any thread (each call sends one datagram).
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string_view>

namespace netsvcd::systemd {

class Notifier {
 public:
  Notifier();

  // READY=1 with a STATUS= line: at start-up once every listener accepts, and after a reload
  // whatever its outcome (systemd waits for it after RELOADING=1).
  void ready(std::string_view status) const;
  // RELOADING=1 with MONOTONIC_USEC= (what Type=notify-reload in systemd 253 expects).
  void reloading(std::string_view status) const;
  void stopping(std::string_view status) const;
  void status(std::string_view status) const;

  // How often to send WATCHDOG=1 (half of WATCHDOG_USEC), or nullopt when the watchdog is off.
  std::optional<std::chrono::microseconds> watchdog_interval() const { return watchdog_interval_; }
  void watchdog() const;

  // FDSTORE=1 with FDNAME=name: systemd keeps the sockets across a restart and passes them back.
  void store_fds(std::string_view name, std::span<const int> fds) const;
  // FDSTOREREMOVE=1 with FDNAME=name: forgets every socket stored under that name.
  void remove_fds(std::string_view name) const;

 private:
  void send(const std::string& message) const;

  std::optional<std::chrono::microseconds> watchdog_interval_;
};

}  // namespace netsvcd::systemd
