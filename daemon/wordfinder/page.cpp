#include "wordfinder/page.hpp"

#include <stdexcept>

#include "http/response_head.hpp"
#include "wordfinder/page_html.hpp"

namespace netsvcd::wordfinder {
namespace {

// Nothing may load or run but the page's own style and script, and its script may talk only to
// this origin (the JSON API). The icon is an empty data: URL, so that a browser does not ask for
// /favicon.ico (a 404). The page builds its DOM from text only, so Trusted Types can forbid every
// HTML sink outright.
const std::string& policy() {
  static const std::string text =
      std::string("default-src 'none'; script-src ") + std::string(generated::kPageScriptHash) +
      "; style-src " + std::string(generated::kPageStyleHash) +
      "; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'self'; "
      "frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'";
  return text;
}

const std::string& header_lines() {
  static const std::string text = [] {
    std::string lines = "Content-Security-Policy: " + policy() +
                        "\r\n"
                        "X-Content-Type-Options: nosniff\r\n"
                        "Referrer-Policy: no-referrer\r\n" +
                        std::string(kVaryAccept);
    // format_head has room for this much beside its own fields; a longer policy is a bug.
    if (lines.size() > http::kMaxExtraHeaders) {
      throw std::logic_error("the web page's headers do not fit the response head");
    }
    return lines;
  }();
  return text;
}

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

}  // namespace

WebPage::WebPage(const RackLimits& limits) {
  std::string html(generated::kPageHtml);
  // Only outside the style and script (their hashes are of the bytes as built).
  replace_all(html, "{{max_tiles}}", std::to_string(limits.max_tiles));
  replace_all(html, "{{max_blanks}}", std::to_string(limits.max_blanks));
  html_ = std::make_shared<const std::string>(std::move(html));
  header_lines();  // a policy too long for the head fails here, at start-up, not per request
}

std::string_view WebPage::headers() {
  return header_lines();
}
std::string_view WebPage::content_security_policy() {
  return policy();
}
std::string_view WebPage::style_hash() {
  return generated::kPageStyleHash;
}
std::string_view WebPage::script_hash() {
  return generated::kPageScriptHash;
}

}  // namespace netsvcd::wordfinder
