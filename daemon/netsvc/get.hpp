// `netsvc get URL [-o FILE]`: fetches an http:// URL as wget does, following redirects, and
// streams the body to a file (or stdout) with a progress bar on a terminal. One call at a time.
#pragma once

#include <optional>
#include <string>

#include "netsvc/connector.hpp"
#include "netsvc/exit_codes.hpp"

namespace netsvc {

// Redirects followed before giving up with kExitProtocol.
inline constexpr int kMaxRedirects = 10;

// `output`: a file name, "-" for stdout, or nothing for the URL path's last segment. Failure
// messages start with the URL.
Status run_get(const std::string& url, const std::optional<std::string>& output,
               const ConnectOptions& options);

}  // namespace netsvc
