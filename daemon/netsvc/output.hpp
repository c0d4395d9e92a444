// Writing what netsvc was asked for to stdout or to a file: every byte or a Failure
// (kExitIoErr) that names the destination. Stateless; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "netsvc/exit_codes.hpp"

namespace netsvc {

// All of `data` to `fd`, retrying short writes; `name` is for the message ("standard output").
Status write_fd(int fd, std::string_view data, const std::string& name);

inline Status write_stdout(std::string_view data) {
  return write_fd(1, data, "standard output");
}

}  // namespace netsvc
