// libFuzzer's entry point for the rack target; the body is bodies/rack.cpp.
#include <cstddef>
#include <cstdint>

#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  netsvcd::fuzz::rack({reinterpret_cast<const char*>(data), size});
  return 0;
}
