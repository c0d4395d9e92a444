// libFuzzer's entry point for the dictionary target; the body is bodies/dictionary.cpp.
#include <cstddef>
#include <cstdint>

#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  netsvcd::fuzz::dictionary({reinterpret_cast<const char*>(data), size});
  return 0;
}
