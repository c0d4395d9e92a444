// Stream: a connected TCP socket (non-blocking, owned) with reads and writes that each wait at
// most the I/O timeout, through poll. Move-only; one thread at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "netsvc/exit_codes.hpp"
#include "unique_fd.hpp"

namespace netsvc {

// The daemon's own descriptor owner: a pure value type from its bottom floor.
using UniqueFd = netsvcd::UniqueFd;

class Stream {
 public:
  // `peer` names the server in messages ("127.0.0.1 port 8080").
  Stream(UniqueFd fd, std::string peer, std::chrono::milliseconds io_timeout);

  const std::string& peer() const { return peer_; }
  // Up to `size` bytes; 0 at the end of the stream. Failure: kExitTempFail when nothing came
  // within the I/O timeout, kExitProtocol when the connection broke (a reset).
  Outcome<std::size_t> read_some(char* data, std::size_t size);
  Status write_all(std::string_view data);
  // Everything until the server closes, at most `limit` bytes (kExitProtocol beyond).
  Outcome<std::string> read_to_end(std::size_t limit);

 private:
  Status wait(short events);

  UniqueFd fd_;
  std::string peer_;
  std::chrono::milliseconds io_timeout_;
};

}  // namespace netsvc
