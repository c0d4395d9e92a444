// libFuzzer's entry point for the config_loader target; the body is bodies/config_loader.cpp.
#include <cstddef>
#include <cstdint>

#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  netsvcd::fuzz::config_loader({reinterpret_cast<const char*>(data), size});
  return 0;
}
