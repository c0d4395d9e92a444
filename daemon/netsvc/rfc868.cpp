#include "netsvc/rfc868.hpp"

#include <ctime>

namespace netsvc {

Outcome<std::chrono::system_clock::time_point> decode_rfc868(std::string_view bytes) {
  if (bytes.size() != 4) {
    return Failure{kExitProtocol,
                   "expected RFC 868's 4 bytes, got " + std::to_string(bytes.size())};
  }
  std::int64_t seconds = 0;
  for (const char byte : bytes)
    seconds = seconds << 8 | static_cast<unsigned char>(byte);
  if (seconds < kSecondsFrom1900To1970) seconds += std::int64_t{1} << 32;
  return std::chrono::system_clock::time_point{
      std::chrono::seconds{seconds - kSecondsFrom1900To1970}};
}

std::string format_utc(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm parts{};
  ::gmtime_r(&seconds, &parts);
  char text[64];
  const auto length = std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &parts);
  return std::string(text, length);
}

}  // namespace netsvc
