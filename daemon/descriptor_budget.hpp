// The descriptor budget: netsvcd raises its soft RLIMIT_NOFILE to the hard limit at start, and
// caps the connections it holds at once below it, so that it never runs out of the descriptors
// it needs for itself (a reload's config file, dictionary and new sockets, the journal, the
// control socket). Free functions, called by the Daemon's thread.
#pragma once

#include <cstdint>

namespace netsvcd {

struct DescriptorLimit {
  std::uint64_t soft_before = 0;
  std::uint64_t soft = 0;  // now
  std::uint64_t hard = 0;
};

// Raises the soft limit to the hard one, as far as the kernel allows (nr_open).
DescriptorLimit raise_descriptor_limit();

// Descriptors open in this process now.
std::uint64_t descriptors_in_use();

// The descriptors kept free beyond those in use, for the daemon's own needs: a sixteenth of the
// limit, from 16 to 1024.
std::uint64_t descriptor_reserve(std::uint64_t limit);

// The most connections to hold at once with `limit` descriptors, `in_use` of them taken: at
// least 1.
std::uint64_t connection_cap(std::uint64_t limit, std::uint64_t in_use);

}  // namespace netsvcd
