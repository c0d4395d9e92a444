// format_head: the status line and header fields of a Response, written into a fixed buffer by
// hand (no allocation, no format string): Server, Date (formatted once a second per thread),
// Content-Type, Content-Length, Allow and Retry-After when given, the response's own header
// lines, and Connection when it differs from the version's default. Pure apart from the thread's
// date; safe from any thread.
#pragma once

#include <array>
#include <string_view>

#include "http/message.hpp"

namespace netsvcd::http {

// Room for a Response's own header lines (Response::headers), beside the 320 bytes that the
// longest head of the fields above takes.
inline constexpr std::size_t kMaxExtraHeaders = 512;
using HeadBuffer = std::array<char, 320 + kMaxExtraHeaders>;

// `version` is the request's, 10 or 11; `keep_alive` whether the connection stays open.
std::string_view format_head(HeadBuffer& out, const Response& response, int version,
                             bool keep_alive);

}  // namespace netsvcd::http
