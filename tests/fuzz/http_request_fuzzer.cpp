// libFuzzer's entry point for the http_request target; the body is bodies/http_request.cpp.
#include <cstddef>
#include <cstdint>

#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  netsvcd::fuzz::http_request({reinterpret_cast<const char*>(data), size});
  return 0;
}
