// Unit tests for the word finder's web page (daemon/wordfinder/page.*, http/accept.*, and the
// router's GET /): which Accept values get the page, the headers that go with it, and that the
// Content-Security-Policy's hashes are those of the style and script the page really has. The
// hashes are recomputed here with a SHA-256 of the test's own (FIPS 180-4), checked first on the
// standard's examples, so that the build's hashing is checked rather than trusted.
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <catch2/catch.hpp>

#include "http/accept.hpp"
#include "http/message.hpp"
#include "http/response_head.hpp"
#include "wordfinder/page.hpp"
#include "wordfinder/router.hpp"
#include "wordfinder/word_index.hpp"

namespace {

using netsvcd::http::accepts_media_type;
using netsvcd::http::Request;
using netsvcd::http::Response;
using netsvcd::wordfinder::LoadedIndex;
using netsvcd::wordfinder::RouterSettings;
using netsvcd::wordfinder::WebPage;
using netsvcd::wordfinder::WordfinderRouter;
using netsvcd::wordfinder::WordIndex;

// -- SHA-256 and base64, for the CSP's hashes ---------------------------------------------------

std::uint32_t rotate_right(std::uint32_t x, int n) {
  return (x >> n) | (x << (32 - n));
}

// The first 32 bits of the fractional part of the `root`th root of each of the first `count`
// primes: SHA-256's constants, computed rather than typed (the standard's examples below would
// catch a wrong one).
std::vector<std::uint32_t> prime_root_fractions(std::size_t count, int root) {
  std::vector<std::uint32_t> out;
  for (unsigned n = 2; out.size() < count; ++n) {
    bool prime = true;
    for (unsigned d = 2; d * d <= n; ++d)
      prime = prime && n % d != 0;
    if (!prime) continue;
    const long double value =
        root == 2 ? std::sqrt(static_cast<long double>(n)) : std::cbrt(static_cast<long double>(n));
    const long double fraction = value - std::floor(value);
    out.push_back(static_cast<std::uint32_t>(std::ldexp(fraction, 32)));
  }
  return out;
}

std::array<unsigned char, 32> sha256(std::string_view text) {
  static const std::vector<std::uint32_t> k = prime_root_fractions(64, 3);
  static const std::vector<std::uint32_t> initial = prime_root_fractions(8, 2);
  std::vector<std::uint32_t> h = initial;
  std::string message(text);
  message += static_cast<char>(0x80);
  while (message.size() % 64 != 56)
    message += '\0';
  const std::uint64_t bits = static_cast<std::uint64_t>(text.size()) * 8;
  for (int shift = 56; shift >= 0; shift -= 8)
    message += static_cast<char>((bits >> shift) & 0xff);

  for (std::size_t block = 0; block < message.size(); block += 64) {
    std::array<std::uint32_t, 64> w{};
    for (int i = 0; i < 16; ++i) {
      for (int j = 0; j < 4; ++j)
        w[i] = (w[i] << 8) | static_cast<unsigned char>(message[block + 4 * i + j]);
    }
    for (int i = 16; i < 64; ++i) {
      const auto s0 = rotate_right(w[i - 15], 7) ^ rotate_right(w[i - 15], 18) ^ (w[i - 15] >> 3);
      const auto s1 = rotate_right(w[i - 2], 17) ^ rotate_right(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    auto [a, b, c, d, e, f, g, hh] =
        std::array<std::uint32_t, 8>{h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]};
    for (int i = 0; i < 64; ++i) {
      const auto t1 = hh + (rotate_right(e, 6) ^ rotate_right(e, 11) ^ rotate_right(e, 25)) +
                      ((e & f) ^ (~e & g)) + k[i] + w[i];
      const auto t2 = (rotate_right(a, 2) ^ rotate_right(a, 13) ^ rotate_right(a, 22)) +
                      ((a & b) ^ (a & c) ^ (b & c));
      hh = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    const std::array<std::uint32_t, 8> add{a, b, c, d, e, f, g, hh};
    for (int i = 0; i < 8; ++i)
      h[i] += add[i];
  }
  std::array<unsigned char, 32> digest{};
  for (int i = 0; i < 32; ++i)
    digest[i] = static_cast<unsigned char>(h[i / 4] >> (24 - 8 * (i % 4)));
  return digest;
}

std::string hex(const std::array<unsigned char, 32>& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const auto byte : bytes) {
    out += kDigits[byte >> 4];
    out += kDigits[byte & 15];
  }
  return out;
}

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t group = 0;
    for (std::size_t j = 0; j < 3; ++j)
      group = (group << 8) | (j < n ? static_cast<unsigned char>(bytes[i + j]) : 0u);
    for (std::size_t j = 0; j < 4; ++j)
      out += j <= n ? kAlphabet[(group >> (18 - 6 * j)) & 63] : '=';
  }
  return out;
}

// The CSP source expression of an inline block: 'sha256-<base64 of the digest>'.
std::string csp_hash(std::string_view block) {
  const auto digest = sha256(block);
  return "'sha256-" + base64({reinterpret_cast<const char*>(digest.data()), digest.size()}) + "'";
}

// -- the router ---------------------------------------------------------------------------------

std::shared_ptr<const WordIndex> dictionary() {
  static const LoadedIndex loaded = WordIndex::load_text("ab\nabc\ncab\n", "page-test-words");
  REQUIRE(loaded.index);
  return loaded.index;
}

RouterSettings settings() {
  RouterSettings result;
  result.limits.max_tiles = 7;
  result.limits.max_blanks = 1;
  return result;
}

Response get_slash(const WordfinderRouter& router, std::string_view accept,
                   std::string_view method = "GET") {
  return router.route(
      Request{method, "/", "", accept, boost::asio::ip::make_address("192.0.2.10")});
}

// The text between the page's one <tag> and </tag>.
std::string_view inline_block(std::string_view html, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">";
  const std::string close = "</" + std::string(tag) + ">";
  const auto begin = html.find(open);
  REQUIRE(begin != std::string_view::npos);
  CHECK(html.find(open, begin + 1) == std::string_view::npos);
  // Nor any other element of the kind, with attributes.
  CHECK(html.find("<" + std::string(tag) + " ") == std::string_view::npos);
  const auto end = html.find(close, begin);
  REQUIRE(end != std::string_view::npos);
  return html.substr(begin + open.size(), end - begin - open.size());
}

// A header line's value, from the lines of Response::headers.
std::string header(std::string_view lines, std::string_view name) {
  const std::string start = std::string(name) + ": ";
  const auto at = lines.find(start);
  if (at == std::string_view::npos) return "<none>";
  const auto end = lines.find("\r\n", at);
  return std::string(lines.substr(at + start.size(), end - at - start.size()));
}

TEST_CASE("page: Accept names text/html with a weight above zero", "[page]") {
  for (const std::string_view yes :
       {"text/html", "TEXT/HTML", "text/html;q=1", "text/html; q=0.5", "text/html;q=0.001",
        "text/html ; charset=utf-8", "application/json, text/html",
        // Chromium's and Firefox's navigations.
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
        "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", " text/html ",
        "text/html;level=1;q=1.000", "text/html;Q=0.7"}) {
    INFO(yes);
    CHECK(accepts_media_type(yes, "text/html"));
  }
  for (const std::string_view no :
       {"", "*/*", "text/*", "text/plain", "application/json", "text/html;q=0", "text/html;q=0.0",
        "text/html; q=0.000", "text/htmlx", "xtext/html", "text/html;q=2", "text/html;q=1.5",
        "text/html;q=0.0001", "text/html;q=.5", "text/html;q=", "application/xhtml+xml",
        "text/plain, */*;q=0.1", ",,, ;"}) {
    INFO(no);
    CHECK_FALSE(accepts_media_type(no, "text/html"));
  }
}

TEST_CASE("page: a browser at GET / gets the page, anyone else the usage text", "[page]") {
  const WordfinderRouter router(dictionary(), settings());
  const Response page = get_slash(router, "text/html,*/*;q=0.8");
  CHECK(page.status == 200);
  CHECK(page.content_type == "text/html; charset=utf-8");
  CHECK(page.body().starts_with("<!doctype html>"));
  CHECK(page.headers == WebPage::headers());

  for (const std::string_view accept : {"", "*/*", "text/plain", "text/html;q=0"}) {
    INFO(accept);
    const Response usage = get_slash(router, accept);
    CHECK(usage.status == 200);
    CHECK(usage.content_type == "text/plain; charset=utf-8");
    CHECK(usage.body().starts_with("netsvcd word finder: "));
    CHECK(usage.body().find("A browser (Accept: text/html) gets a web page") != std::string::npos);
    // The answer depends on Accept, for a cache between.
    CHECK(usage.headers == "Vary: Accept\r\n");
  }
  // The query does not matter at /; the page reads its own (?letters=...&sort=...).
  const Response with_query = router.route(Request{"GET", "/", "letters=ab&sort=score", "text/html",
                                                   boost::asio::ip::make_address("::1")});
  CHECK(with_query.body() == page.body());
  // A rack is answered as JSON whatever Accept says.
  const Response rack = router.route(
      Request{"GET", "/abc", "", "text/html", boost::asio::ip::make_address("192.0.2.10")});
  CHECK(rack.content_type == "application/json");
  CHECK(rack.headers.empty());
}

TEST_CASE("page: HEAD answers what GET does, and the page is never copied", "[page]") {
  const WordfinderRouter router(dictionary(), settings());
  const Response get = get_slash(router, "text/html");
  const Response head = get_slash(router, "text/html", "HEAD");
  CHECK(head.status == 200);
  CHECK(head.content_type == get.content_type);
  CHECK(head.headers == get.headers);
  CHECK(head.body_size() == get.body_size());
  // Rendered once, when the router was made: every answer shares the same bytes.
  REQUIRE(get.shared);
  CHECK(get.shared.get() == head.shared.get());
  CHECK(get_slash(router, "text/html").shared.get() == get.shared.get());
  CHECK(get.prefix.view().empty());
  CHECK(get.tail.view().empty());
}

TEST_CASE("page: the listener's limits are filled in, outside the hashed blocks", "[page]") {
  const WordfinderRouter router(dictionary(), settings());
  const std::string html = get_slash(router, "text/html").body();
  CHECK(html.find("{{") == std::string::npos);
  CHECK(html.find("data-max-tiles=\"7\" data-max-blanks=\"1\"") != std::string::npos);
  CHECK(html.find("Up to 7 tiles, of which 1 may be blank.") != std::string::npos);
}

TEST_CASE("page: the SHA-256 of this test is the standard's", "[page]") {
  // FIPS 180-4's examples (one block, two blocks) and the empty string.
  CHECK(hex(sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(hex(sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(base64("") == "");
  CHECK(base64("f") == "Zg==");
  CHECK(base64("fo") == "Zm8=");
  CHECK(base64("foobar") == "Zm9vYmFy");
}

TEST_CASE("page: the CSP allows exactly the page's own style and script", "[page]") {
  const WordfinderRouter router(dictionary(), settings());
  const Response page = get_slash(router, "text/html");
  const std::string html = page.body();
  const std::string policy = header(page.headers, "Content-Security-Policy");
  CHECK(policy == WebPage::content_security_policy());

  const std::string style = csp_hash(inline_block(html, "style"));
  const std::string script = csp_hash(inline_block(html, "script"));
  CHECK(WebPage::style_hash() == style);
  CHECK(WebPage::script_hash() == script);
  CHECK(policy ==
        "default-src 'none'; script-src " + script + "; style-src " + style +
            "; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'");
  // Nothing the policy would refuse: no inline handler or style attribute, nothing fetched from
  // elsewhere.
  for (const std::string_view refused :
       {" style=", " onclick=", " onload=", " onsubmit=", " oninput=", "javascript:", "http://",
        "https://", "//fonts", " src=", "<link rel=\"stylesheet\""}) {
    INFO(refused);
    CHECK(html.find(refused) == std::string::npos);
  }
  CHECK(header(page.headers, "X-Content-Type-Options") == "nosniff");
  CHECK(header(page.headers, "Referrer-Policy") == "no-referrer");
  CHECK(header(page.headers, "Vary") == "Accept");
}

TEST_CASE("page: the head with the page's headers fits the head buffer whole", "[page]") {
  const WordfinderRouter router(dictionary(), settings());
  const Response page = get_slash(router, "text/html");
  // The longest head: HTTP/1.0 with keep-alive adds a Connection field.
  for (const auto& [version, keep_alive, last] :
       {std::tuple{10, true, "Connection: keep-alive\r\n\r\n"},
        std::tuple{11, false, "Connection: close\r\n\r\n"},
        std::tuple{11, true, "Vary: Accept\r\n\r\n"}}) {
    netsvcd::http::HeadBuffer buffer;
    const std::string head(netsvcd::http::format_head(buffer, page, version, keep_alive));
    INFO(head);
    CHECK(head.size() < buffer.size());
    CHECK(head.find("\r\n" + std::string(WebPage::headers())) != std::string::npos);
    CHECK(head.find("Content-Length: " + std::to_string(page.body_size()) + "\r\n") !=
          std::string::npos);
    CHECK(head.ends_with(last));
  }
}

}  // namespace
