// libFuzzer's entry point for the proxy_header target; the body is bodies/proxy_header.cpp.
#include <cstddef>
#include <cstdint>

#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  netsvcd::fuzz::proxy_header({reinterpret_cast<const char*>(data), size});
  return 0;
}
