// The client side of the control socket: `netsvcd --reload` asks the running daemon to reload
// and waits for the outcome (see control_server.hpp for the protocol). Used once, by main().
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

namespace netsvcd::control {

struct ReloadReply {
  enum class Status { kReloaded, kRefused, kUnreachable } status;
  std::string detail;  // the daemon's lines, or why it could not be asked
};

ReloadReply request_reload(const std::filesystem::path& socket, std::chrono::seconds timeout);

}  // namespace netsvcd::control
