// RFC 868's time: four bytes, big-endian seconds since 1900-01-01 00:00 UTC, decoded and shown
// as a UTC time. Pure functions; safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "netsvc/exit_codes.hpp"

namespace netsvc {

// 1900-01-01 to 1970-01-01: 70 years with 17 leap days.
inline constexpr std::int64_t kSecondsFrom1900To1970 = 2208988800;

// The instant the four bytes name. The 32-bit count wraps in February 2036; a value that
// would lie before 1970 is read as after the wrap, as RFC 5905 suggests for NTP's era.
// Failure (kExitProtocol) unless `bytes` has exactly four bytes.
Outcome<std::chrono::system_clock::time_point> decode_rfc868(std::string_view bytes);

// "2026-12-01 02:05:00 UTC".
std::string format_utc(std::chrono::system_clock::time_point time);

}  // namespace netsvc
