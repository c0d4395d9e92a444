// The client side of the control socket: `netsvcd --reload` asks the running daemon to reload
// and waits for the outcome; `netsvcd --status` asks what it is doing (see control_server.hpp
// for the protocol). Used once, by main().
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

namespace netsvcd::control {

struct Reply {
  // kRefused: the daemon answered "failed" (a reload it refused).
  enum class Status { kOk, kRefused, kUnreachable } status;
  std::string detail;  // the daemon's lines, or why it could not be asked
};

// Sends `request` ("reload", "status") to the daemon on `socket` and waits for its reply.
Reply ask_daemon(const std::filesystem::path& socket, std::string_view request,
                 std::chrono::seconds timeout);

}  // namespace netsvcd::control
