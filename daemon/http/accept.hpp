// accepts_media_type: whether an Accept header's value (RFC 9110 §12.5.1) lists a media type
// by name with a weight above zero. Pure functions on text; safe from any thread.
#pragma once

#include <string_view>

namespace netsvcd::http {

// True if `accept` names `type` (e.g. "text/html", compared without regard to case) with q > 0.
// Only the type itself counts: a range such as "*/*" or "text/*" does not, so that a client
// asking for anything (curl's "*/*") keeps the default answer and only one that names the type
// (a browser) gets it. A q that is not a valid weight leaves its range out.
bool accepts_media_type(std::string_view accept, std::string_view type);

}  // namespace netsvcd::http
