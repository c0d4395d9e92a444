#include "netsvc/output.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace netsvc {

Status write_fd(int fd, std::string_view data, const std::string& name) {
  while (!data.empty()) {
    const auto written = ::write(fd, data.data(), data.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      return Failure{kExitIoErr, "writing " + name + ": " +
                                     (written < 0 ? std::strerror(errno) : "nothing written")};
    }
    data.remove_prefix(static_cast<std::size_t>(written));
  }
  return done();
}

}  // namespace netsvc
