// Unit tests for daemon/wordfinder/router.*: the word-finder API as a pure function of a request,
// without sockets. A hand-made dictionary gives hand-checked answers; every status, message,
// header and JSON field the router produces is asserted exactly, and the cache is watched
// through cache_stats().
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "http/message.hpp"
#include "http/request_target.hpp"
#include "wordfinder/answer_cache.hpp"
#include "wordfinder/router.hpp"
#include "wordfinder/word_index.hpp"

namespace {

using netsvcd::http::Request;
using netsvcd::http::Response;
using netsvcd::wordfinder::AnswerCacheStats;
using netsvcd::wordfinder::LoadedIndex;
using netsvcd::wordfinder::RouterSettings;
using netsvcd::wordfinder::WordfinderRouter;
using netsvcd::wordfinder::WordIndex;
using Json = nlohmann::json;
using Words = std::vector<std::string>;

// Ten words, hand-checked answers below. "ZOO" is folded to "zoo"; "Aaron" (mixed case) and
// "it's" are skipped; the blank line and the CRLF are tolerated.
constexpr std::string_view kDictionary =
    "a\n"
    "ab\n"
    "abc\r\n"
    "ace\n"
    "\n"
    "bad\n"
    "be\n"
    "bead\n"
    "cab\n"
    "dab\n"
    "ZOO\n"
    "Aaron\n"
    "it's\n";

std::shared_ptr<const WordIndex> dictionary() {
  static const LoadedIndex loaded = WordIndex::load_text(kDictionary, "router-test-words");
  INFO(loaded.error);
  REQUIRE(loaded.index);
  REQUIRE(loaded.index->size() == 10);
  return loaded.index;
}

// min_length 2, at most 6 tiles of which 2 blanks.
RouterSettings settings(std::size_t cache_entries = 100) {
  RouterSettings result;
  result.min_length = 2;
  result.limits.max_tiles = 6;
  result.limits.max_blanks = 2;
  result.cache_entries = cache_entries;
  return result;
}

// The client of every request unless a test names another.
constexpr const char* kClient = "192.0.2.10";

// `target` is what the session hands a router: an origin-form path and query, from `client`.
Response route(const WordfinderRouter& router, std::string_view target,
               std::string_view method = "GET", std::string_view accept = {},
               const char* client = kClient) {
  const auto parsed = netsvcd::http::parse_target(target);
  REQUIRE(std::holds_alternative<netsvcd::http::Target>(parsed));
  const auto [path, query] = std::get<netsvcd::http::Target>(parsed);
  return router.route(Request{method, path, query, accept, boost::asio::ip::make_address(client)});
}

AnswerCacheStats stats(std::uint64_t hits, std::uint64_t misses, std::uint64_t insertions,
                       std::uint64_t evictions, std::size_t entries) {
  return AnswerCacheStats{hits, misses, insertions, evictions, entries};
}

// An error answer exactly: status, JSON, no extra headers, and the body {"error": message}.
void check_error(const Response& response, unsigned status, const std::string& message) {
  INFO("body: " << response.body());
  CHECK(response.status == status);
  CHECK(response.content_type == "application/json");
  CHECK(response.allow.empty());
  CHECK(response.body() == Json{{"error", message}}.dump() + "\n");
  CHECK(Json::parse(response.body()) == Json{{"error", message}});
}

// A word-finder answer exactly, but for "time", which must be a non-negative number.
void check_answer(const Response& response, const std::string& rack, std::size_t min_length,
                  const Words& words, bool cached, const std::string& client = kClient) {
  INFO("body: " << response.body());
  REQUIRE(response.status == 200);
  CHECK(response.content_type == "application/json");
  CHECK(response.allow.empty());
  REQUIRE(response.body().ends_with('\n'));
  const Json body = Json::parse(response.body());
  REQUIRE(body.is_object());
  CHECK(body.size() == 7);
  CHECK(body.at("client") == client);
  CHECK(body.at("rack") == rack);
  CHECK(body.at("min_length") == min_length);
  CHECK(body.at("count") == words.size());
  CHECK(body.at("cached") == cached);
  REQUIRE(body.at("time").is_number());
  CHECK(body.at("time").get<double>() >= 0.0);
  REQUIRE(body.at("possibilities").is_array());
  CHECK(body.at("possibilities").get<Words>() == words);
}

const std::string kNotFound = "not found: the API is GET /<rack>; GET / explains it";
const std::string kBadMinLength = "min_length must be a whole number from 1 to 64";
const std::string kBadEscape = "bad percent-encoding in the rack";

std::string bad_character(const std::string& what, std::size_t position) {
  return "bad character " + what + " at position " + std::to_string(position) +
         " of the rack: only letters a-z and _ (a blank)";
}

TEST_CASE("router: GET of a rack answers its words longest first then alphabetical", "[router]") {
  const WordfinderRouter router(dictionary(), settings(0));
  check_answer(route(router, "/abc"), "abc", 2, {"abc", "cab", "ab"}, false);
  check_answer(route(router, "/abcd"), "abcd", 2, {"abc", "bad", "cab", "dab", "ab"}, false);
  check_answer(route(router, "/bead"), "abde", 2, {"bead", "bad", "dab", "ab", "be"}, false);
  check_answer(route(router, "/ooz"), "ooz", 2, {"zoo"}, false);
  check_answer(route(router, "/q"), "q", 2, {}, false);
  check_answer(route(router, "/a"), "a", 2, {}, false);  // "a" is shorter than min_length
}

TEST_CASE("router: blanks stand for any letter and sort last in the rack", "[router]") {
  const WordfinderRouter router(dictionary(), settings(0));
  check_answer(route(router, "/a_"), "a_", 2, {"ab"}, false);
  check_answer(route(router, "/__"), "__", 2, {"ab", "be"}, false);
  check_answer(route(router, "/_b_a"), "ab__", 2,
               {"bead", "abc", "ace", "bad", "cab", "dab", "ab", "be"}, false);
  check_answer(route(router, "/zo_"), "oz_", 2, {"zoo"}, false);
  check_answer(route(router, "/_?min_length=1"), "_", 1, {"a"}, false);
}

TEST_CASE("router: the rack is case-folded and normalised", "[router]") {
  const WordfinderRouter router(dictionary(), settings(0));
  check_answer(route(router, "/CAB"), "abc", 2, {"abc", "cab", "ab"}, false);
  check_answer(route(router, "/DaB_"), "abd_", 2, {"bead", "abc", "bad", "cab", "dab", "ab", "be"},
               false);
}

TEST_CASE("router: HEAD answers exactly what GET answers", "[router]") {
  // The session drops the body of a HEAD answer; the router answers HEAD as it would GET.
  const WordfinderRouter router(dictionary(), settings(0));
  check_answer(route(router, "/abc", "HEAD"), "abc", 2, {"abc", "cab", "ab"}, false);
  const Response get_usage = route(router, "/", "GET");
  const Response head_usage = route(router, "/", "HEAD");
  CHECK(head_usage.status == 200);
  CHECK(head_usage.content_type == get_usage.content_type);
  CHECK(head_usage.body() == get_usage.body());
  check_error(route(router, "/abc1", "HEAD"), 400, bad_character("'1'", 4));
  check_error(route(router, "/a/b", "HEAD"), 404, kNotFound);
}

TEST_CASE("router: methods other than GET and HEAD are 405 with Allow", "[router]") {
  const WordfinderRouter router(dictionary(), settings());
  for (const std::string method : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "get", "head"}) {
    for (const std::string_view target : {"/abc", "/", "/favicon.ico", "/a/b", "/abc1"}) {
      INFO(method << " " << target);
      const Response response = route(router, target, method);
      CHECK(response.status == 405);
      CHECK(response.content_type == "application/json");
      CHECK(response.allow == "GET, HEAD");
      const std::string message = "method " + method + " not allowed (expected GET or HEAD)";
      CHECK(response.body() == Json{{"error", message}}.dump() + "\n");
      CHECK(Json::parse(response.body()) == Json{{"error", message}});
    }
  }
  // Refused before any search: the cache never saw them.
  CHECK(router.cache_stats() == stats(0, 0, 0, 0, 0));
}

TEST_CASE("router: GET slash answers the usage text", "[router]") {
  const WordfinderRouter router(dictionary(), settings());
  for (const std::string_view target : {"/", "/?min_length=3", "/?anything"}) {
    for (const std::string_view accept : {"", "*/*", "application/json", "text/plain"}) {
      INFO(target << " Accept: " << accept);
      const Response response = route(router, target, "GET", accept);
      CHECK(response.status == 200);
      CHECK(response.content_type == "text/plain; charset=utf-8");
      CHECK(response.allow.empty());
      CHECK(response.body().starts_with("netsvcd word finder: "));
      CHECK(response.body().ends_with('\n'));
      // The listener's own settings.
      CHECK(response.body().find("(default 2)") != std::string::npos);
      CHECK(response.body().find("at most 6 tiles, 2 of them blank.") != std::string::npos);
    }
  }
  CHECK(router.cache_stats() == stats(0, 0, 0, 0, 0));
}

TEST_CASE("router: the usage text shows the configured defaults", "[router]") {
  RouterSettings other = settings();
  other.min_length = 3;
  other.limits.max_tiles = 15;
  other.limits.max_blanks = 1;
  const WordfinderRouter router(dictionary(), other);
  const Response response = route(router, "/");
  CHECK(response.body().find("(default 3)") != std::string::npos);
  CHECK(response.body().find("at most 15 tiles, 1 of them blank.") != std::string::npos);
}

TEST_CASE("router: favicon and paths of more than one segment are 404", "[router]") {
  const WordfinderRouter router(dictionary(), settings());
  for (const std::string_view target : {"/favicon.ico", "/favicon.ico?x=1", "/a/b", "/abc/", "//",
                                        "//abc", "/abc/def", "/abc/?min_length=3", "/a/b/c"}) {
    INFO(target);
    check_error(route(router, target), 404, kNotFound);
  }
  CHECK(router.cache_stats() == stats(0, 0, 0, 0, 0));
}

TEST_CASE("router: a rack with a bad character is 400 naming it and its position", "[router]") {
  const WordfinderRouter router(dictionary(), settings());
  check_error(route(router, "/abc123"), 400, bad_character("'1'", 4));
  check_error(route(router, "/1"), 400, bad_character("'1'", 1));
  check_error(route(router, "/a-b"), 400, bad_character("'-'", 2));
  check_error(route(router, "/ab.c"), 400, bad_character("'.'", 3));
  check_error(route(router, "/a b"), 400, bad_character("' '", 2));
  check_error(route(router, "/ab*"), 400, bad_character("'*'", 3));
  // Non-ASCII bytes are named by value, never echoed.
  check_error(route(router, "/ab\xC3\xA9"), 400, bad_character("byte 0xC3", 3));
  check_error(route(router, "/\x7F"), 400, bad_character("byte 0x7F", 1));
  // A bad character is reported before the rack is found too long.
  check_error(route(router, "/abcdefgh!"), 400, bad_character("'!'", 9));
  CHECK(router.cache_stats() == stats(0, 0, 0, 0, 0));
}

TEST_CASE("router: a rack over max_letters or max_blanks is 400", "[router]") {
  const WordfinderRouter router(dictionary(), settings());
  check_error(route(router, "/abcdefg"), 400, "too many tiles: 7 (at most 6, blanks included)");
  check_error(route(router, "/abcde__"), 400, "too many tiles: 7 (at most 6, blanks included)");
  // Too many tiles is reported before too many blanks.
  check_error(route(router, "/_______"), 400, "too many tiles: 7 (at most 6, blanks included)");
  check_error(route(router, "/a___"), 400, "too many blanks: 3 (at most 2)");
  check_error(route(router, "/___"), 400, "too many blanks: 3 (at most 2)");
  // The limits themselves are accepted.
  check_answer(route(router, "/abcde_"), "abcde_", 2,
               {"bead", "abc", "ace", "bad", "cab", "dab", "ab", "be"}, false);
  check_answer(route(router, "/ab__"), "ab__", 2,
               {"bead", "abc", "ace", "bad", "cab", "dab", "ab", "be"}, false);
  CHECK(router.cache_stats() == stats(0, 2, 2, 0, 2));
}

TEST_CASE("router: a percent-encoded rack is decoded", "[router]") {
  const WordfinderRouter router(dictionary(), settings(0));
  check_answer(route(router, "/%61bc"), "abc", 2, {"abc", "cab", "ab"}, false);
  check_answer(route(router, "/%61%62%63"), "abc", 2, {"abc", "cab", "ab"}, false);
  check_answer(route(router, "/%41%42C"), "abc", 2, {"abc", "cab", "ab"}, false);
  check_answer(route(router, "/a%5f"), "a_", 2, {"ab"}, false);
  check_answer(route(router, "/a%5F"), "a_", 2, {"ab"}, false);
  // What decodes to a bad character is a bad rack, positions counted in the decoded rack.
  check_error(route(router, "/a%2Fb"), 400, bad_character("'/'", 2));
  check_error(route(router, "/a%20b"), 400, bad_character("' '", 2));
  check_error(route(router, "/%00"), 400, bad_character("byte 0x00", 1));
  check_error(route(router, "/ab%C3%A9"), 400, bad_character("byte 0xC3", 3));
  // Limits apply to the decoded rack.
  check_error(route(router, "/%61%61%61%61%61%61%61"), 400,
              "too many tiles: 7 (at most 6, blanks included)");
}

TEST_CASE("router: a broken percent escape is 400", "[router]") {
  const WordfinderRouter router(dictionary(), settings());
  for (const std::string_view target : {"/%6", "/%zz", "/%", "/ab%", "/ab%6", "/%6g", "/%g6",
                                        "/a%%61", "/%-1", "/% 1", "/%6?min_length=3"}) {
    INFO(target);
    check_error(route(router, target), 400, kBadEscape);
  }
  CHECK(router.cache_stats() == stats(0, 0, 0, 0, 0));
}

TEST_CASE("router: min_length in the query is used and echoed", "[router]") {
  const WordfinderRouter router(dictionary(), settings(0));
  check_answer(route(router, "/abc?min_length=3"), "abc", 3, {"abc", "cab"}, false);
  check_answer(route(router, "/abc?min_length=1"), "abc", 1, {"abc", "cab", "ab", "a"}, false);
  check_answer(route(router, "/abc?min_length=2"), "abc", 2, {"abc", "cab", "ab"}, false);
  check_answer(route(router, "/abc?min_length=4"), "abc", 4, {}, false);
  check_answer(route(router, "/abc?min_length=64"), "abc", 64, {}, false);
  check_answer(route(router, "/abc?min_length=03"), "abc", 3, {"abc", "cab"}, false);
  check_answer(route(router, "/bead?min_length=4"), "abde", 4, {"bead"}, false);
}

TEST_CASE("router: a bad or out of range min_length is 400", "[router]") {
  const WordfinderRouter router(dictionary(), settings());
  for (const std::string_view target :
       {"/abc?min_length=0", "/abc?min_length=65", "/abc?min_length=1000",
        "/abc?min_length=99999999999999999999999", "/abc?min_length=", "/abc?min_length",
        "/abc?min_length=-1", "/abc?min_length=+3", "/abc?min_length=%203", "/abc?min_length= 3",
        "/abc?min_length=3x", "/abc?min_length=x3", "/abc?min_length=3.0", "/abc?min_length=three",
        "/abc?min_length=3&min_length=0"}) {
    INFO(target);
    check_error(route(router, target), 400, kBadMinLength);
  }
  CHECK(router.cache_stats() == stats(0, 0, 0, 0, 0));
}

TEST_CASE("router: an unknown query parameter is 400 naming it", "[router]") {
  const WordfinderRouter router(dictionary(), settings());
  const auto unknown = [](const std::string& name) {
    return "unknown parameter \"" + name + "\" (expected min_length, sort or details)";
  };
  check_error(route(router, "/abc?foo=1"), 400, unknown("foo"));
  check_error(route(router, "/abc?foo"), 400, unknown("foo"));
  check_error(route(router, "/abc?=3"), 400, unknown(""));
  check_error(route(router, "/abc?MIN_LENGTH=3"), 400, unknown("MIN_LENGTH"));
  check_error(route(router, "/abc?min_length=3&x=1"), 400, unknown("x"));
  check_error(route(router, "/abc?x=1&min_length=3"), 400, unknown("x"));
  check_error(route(router, "/abc?min_length=3&min_length"), 400, kBadMinLength);
  CHECK(router.cache_stats() == stats(0, 0, 0, 0, 0));
}

TEST_CASE("router: an unknown parameter that is not UTF-8 is still a JSON 400", "[router]") {
  // Beast passes bytes 0x80-0xFF through in the target. The answer must be the JSON 400 of
  // every other bad request, never an exception out of route() (which would drop the connection
  // without an answer and log an error for each such request).
  const WordfinderRouter router(dictionary(), settings());
  for (const std::string_view target : {"/abc?\xFF=1", "/abc?min\xC3=3", "/abc?\xC3\xA9"}) {
    INFO(target);
    Response response;
    REQUIRE_NOTHROW(response = route(router, target));
    CHECK(response.status == 400);
    CHECK(response.content_type == "application/json");
    Json body;
    REQUIRE_NOTHROW(body = Json::parse(response.body()));
    REQUIRE(body.is_object());
    REQUIRE(body.size() == 1);
    REQUIRE(body.at("error").is_string());
    const auto message = body.at("error").get<std::string>();
    CHECK(message.starts_with("unknown parameter \""));
    CHECK(message.ends_with("\" (expected min_length, sort or details)"));
  }
}

TEST_CASE("router: empty pieces of the query are ignored", "[router]") {
  const WordfinderRouter router(dictionary(), settings(0));
  check_answer(route(router, "/abc?&min_length=3&"), "abc", 3, {"abc", "cab"}, false);
  check_answer(route(router, "/abc?&&min_length=3&&"), "abc", 3, {"abc", "cab"}, false);
  check_answer(route(router, "/abc?"), "abc", 2, {"abc", "cab", "ab"}, false);
  check_answer(route(router, "/abc?&"), "abc", 2, {"abc", "cab", "ab"}, false);
  check_answer(route(router, "/abc?&&&"), "abc", 2, {"abc", "cab", "ab"}, false);
}

TEST_CASE("router: the same normalised rack is cached on the second request", "[router]") {
  const WordfinderRouter router(dictionary(), settings(100));
  check_answer(route(router, "/abc"), "abc", 2, {"abc", "cab", "ab"}, false);
  CHECK(router.cache_stats() == stats(0, 1, 1, 0, 1));
  check_answer(route(router, "/abc"), "abc", 2, {"abc", "cab", "ab"}, true);
  // Another spelling of the same rack, the default min_length spelt out, HEAD: all hits.
  check_answer(route(router, "/CAB"), "abc", 2, {"abc", "cab", "ab"}, true);
  check_answer(route(router, "/%63ab"), "abc", 2, {"abc", "cab", "ab"}, true);
  check_answer(route(router, "/bca?min_length=2"), "abc", 2, {"abc", "cab", "ab"}, true);
  check_answer(route(router, "/abc", "HEAD"), "abc", 2, {"abc", "cab", "ab"}, true);
  CHECK(router.cache_stats() == stats(5, 1, 1, 0, 1));

  // min_length is part of the key.
  check_answer(route(router, "/abc?min_length=3"), "abc", 3, {"abc", "cab"}, false);
  check_answer(route(router, "/cba?min_length=3"), "abc", 3, {"abc", "cab"}, true);
  // So are the blanks.
  check_answer(route(router, "/ab_"), "ab_", 2, {"abc", "bad", "cab", "dab", "ab", "be"}, false);
  check_answer(route(router, "/_ba"), "ab_", 2, {"abc", "bad", "cab", "dab", "ab", "be"}, true);
  CHECK(router.cache_stats() == stats(7, 3, 3, 0, 3));

  // A rack with no words is cached like any other.
  check_answer(route(router, "/q"), "q", 2, {}, false);
  check_answer(route(router, "/Q"), "q", 2, {}, true);

  // Errors never reach the cache.
  check_error(route(router, "/abc?min_length=0"), 400, kBadMinLength);
  check_error(route(router, "/abc1"), 400, bad_character("'1'", 4));
  check_error(route(router, "/%zz"), 400, kBadEscape);
  check_error(route(router, "/a/b"), 404, kNotFound);
  CHECK(router.cache_stats() == stats(8, 4, 4, 0, 4));
}

TEST_CASE("router: with cache_entries 0 no answer is ever cached", "[router]") {
  const WordfinderRouter router(dictionary(), settings(0));
  for (int i = 0; i < 3; ++i) {
    check_answer(route(router, "/abc"), "abc", 2, {"abc", "cab", "ab"}, false);
    check_answer(route(router, "/CAB", "HEAD"), "abc", 2, {"abc", "cab", "ab"}, false);
  }
  // Every lookup is a miss, nothing is stored.
  CHECK(router.cache_stats() == stats(0, 6, 0, 0, 0));
}

TEST_CASE("router: a cache of one answer evicts the previous rack", "[router]") {
  const WordfinderRouter router(dictionary(), settings(1));
  check_answer(route(router, "/abc"), "abc", 2, {"abc", "cab", "ab"}, false);
  check_answer(route(router, "/abc"), "abc", 2, {"abc", "cab", "ab"}, true);
  check_answer(route(router, "/bead"), "abde", 2, {"bead", "bad", "dab", "ab", "be"}, false);
  CHECK(router.cache_stats() == stats(1, 2, 2, 1, 1));
  // abc was evicted by bead, and coming back evicts bead.
  check_answer(route(router, "/abc"), "abc", 2, {"abc", "cab", "ab"}, false);
  check_answer(route(router, "/bead"), "abde", 2, {"bead", "bad", "dab", "ab", "be"}, false);
  check_answer(route(router, "/bead"), "abde", 2, {"bead", "bad", "dab", "ab", "be"}, true);
  // The same rack with another min_length is another entry.
  check_answer(route(router, "/bead?min_length=4"), "abde", 4, {"bead"}, false);
  check_answer(route(router, "/bead"), "abde", 2, {"bead", "bad", "dab", "ab", "be"}, false);
  CHECK(router.cache_stats() == stats(2, 6, 6, 5, 1));
}

TEST_CASE("router: the cache never holds more than cache_entries answers", "[router]") {
  const WordfinderRouter router(dictionary(), settings(4));
  // 26 * 2 distinct racks of one or two letters.
  std::size_t requests = 0;
  for (char first = 'a'; first <= 'z'; ++first) {
    for (const std::string suffix : {"", "_"}) {
      const std::string target = std::string("/") + first + suffix;
      const Response response = route(router, target);
      INFO(target << ": " << response.body());
      REQUIRE(response.status == 200);
      CHECK(Json::parse(response.body()).at("cached") == false);
      ++requests;
      const AnswerCacheStats now = router.cache_stats();
      CHECK(now.entries <= 4);
      CHECK(now.entries == now.insertions - now.evictions);
    }
  }
  const AnswerCacheStats after = router.cache_stats();
  CHECK(after.hits == 0);
  CHECK(after.misses == requests);
  CHECK(after.insertions == requests);
  CHECK(after.entries >= 1);
  CHECK(after.entries <= 4);
  CHECK(after.evictions == requests - after.entries);

  // The most recent rack is still there.
  check_answer(route(router, "/z_"), "z_", 2, {}, true);
}

// The body up to "time", whose value varies, and that it ends a body as "time":<number>}\n.
std::string body_before_time(const Response& response) {
  const std::string body = response.body();
  const auto time = body.find("\"time\":");
  REQUIRE(time != std::string::npos);
  const std::string seconds = body.substr(time + 7);
  CHECK(std::regex_match(seconds, std::regex(R"([0-9.e+-]+\}\n)")));
  return body.substr(0, time);
}

TEST_CASE("router: each answer names its own client, before the cached members all share",
          "[router][client]") {
  const WordfinderRouter router(dictionary(), settings(100));
  const std::string shared =
      R"("count":3,"min_length":2,"possibilities":["abc","cab","ab"],"rack":"abc",)";
  const Response first = route(router, "/abc", "GET", {}, "203.0.113.7");
  CHECK(body_before_time(first) == R"({"cached":false,"client":"203.0.113.7",)" + shared);
  // From the cache, to another client: the same rendered bytes, shared, not copied.
  const Response second = route(router, "/cab", "GET", {}, "2001:db8::7");
  CHECK(body_before_time(second) == R"({"cached":true,"client":"2001:db8::7",)" + shared);
  CHECK(second.shared == first.shared);
  CHECK(*second.shared == shared);
  // A client of a dual-stack socket is the IPv4 address it is; an IPv6 address has no scope.
  CHECK(body_before_time(route(router, "/abc", "GET", {}, "::ffff:198.51.100.2")) ==
        R"({"cached":true,"client":"198.51.100.2",)" + shared);
  CHECK(body_before_time(route(router, "/abc", "GET", {}, "fe80::1%1")) ==
        R"({"cached":true,"client":"fe80::1",)" + shared);
  // The longest address inet_ntop writes fits the response's room for it.
  const Response longest =
      route(router, "/abc", "GET", {}, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  CHECK(body_before_time(longest) ==
        R"({"cached":true,"client":"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",)" + shared);
  check_answer(longest, "abc", 2, {"abc", "cab", "ab"}, true,
               "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  // Errors and the usage text name no client.
  CHECK(route(router, "/abc1").body().find("client") == std::string::npos);
  CHECK(route(router, "/").body().find("\"client\":") == std::string::npos);
}

}  // namespace

TEST_CASE("router: racks with blanks or more than 10 tiles are costly, others are not",
          "[router]") {
  const WordfinderRouter router(dictionary(), settings());
  const auto costly = [&](std::string_view target) {
    const auto parsed = netsvcd::http::parse_target(target);
    const auto [path, query] = std::get<netsvcd::http::Target>(parsed);
    return router.costly(Request{"GET", path, query, {}});
  };
  CHECK_FALSE(costly("/lexical"));
  CHECK_FALSE(costly("/abcdefghij"));  // 10 tiles
  CHECK(costly("/abcdefghijk"));       // 11
  CHECK(costly("/ab_"));
  CHECK(costly("/ab%5F"));  // an escaped blank
  CHECK_FALSE(costly("/"));
  CHECK_FALSE(costly("/a/b"));
  // Asking costs no search: the cache saw nothing.
  CHECK(router.cache_stats() == stats(0, 0, 0, 0, 0));
}
