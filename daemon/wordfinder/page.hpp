// WebPage: the word finder's web page (page.html, embedded at build time) as a browser gets it at
// GET /: the document with the listener's limits filled in, rendered once, and the header lines
// that go with it (a Content-Security-Policy that allows only the page's own inline style and
// script, by hash). Owned by the router; immutable, so safe from any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "wordfinder/rack.hpp"

namespace netsvcd::wordfinder {

class WebPage {
 public:
  explicit WebPage(const RackLimits& limits);

  // The document, shared by every answer that sends it.
  const std::shared_ptr<const std::string>& html() const { return html_; }
  // Header lines, each ending in CRLF: Content-Security-Policy, X-Content-Type-Options,
  // Referrer-Policy and Vary. Static text.
  static std::string_view headers();
  // The policy alone, and the hashes in it (for tests).
  static std::string_view content_security_policy();
  static std::string_view style_hash();
  static std::string_view script_hash();

 private:
  std::shared_ptr<const std::string> html_;
};

// The header line for the usage text at GET /, which varies with Accept too.
inline constexpr std::string_view kVaryAccept = "Vary: Accept\r\n";

}  // namespace netsvcd::wordfinder
