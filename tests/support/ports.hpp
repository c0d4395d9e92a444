// Free loopback ports for integration tests. A port handed out is free on every address, for TCP
// and UDP alike, lies below the kernel's ephemeral range (so no client connection can be using
// it), and is reserved with a lock file for this test process's life, so parallel ctest
// processes never share one.
#pragma once

#include <cstdint>

namespace netsvcd::test {

std::uint16_t free_port();

}  // namespace netsvcd::test
