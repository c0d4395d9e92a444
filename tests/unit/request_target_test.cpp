// Unit tests for daemon/http/request_target.*: the four forms of an HTTP/1.1 request-target
// (RFC 9112 §3.2) reduced to a path and a query, or the exact message of the 400 that refuses
// them.
#include <string>
#include <string_view>
#include <variant>

#include <catch2/catch.hpp>

#include "http/request_target.hpp"

namespace {

using netsvcd::http::parse_target;
using netsvcd::http::Target;

void check_served(std::string_view target, std::string_view path, std::string_view query) {
  INFO("target: " << target);
  const auto parsed = parse_target(target);
  REQUIRE(std::holds_alternative<Target>(parsed));
  CHECK(std::get<Target>(parsed).path == path);
  CHECK(std::get<Target>(parsed).query == query);
}

void check_refused(std::string_view target, const std::string& message) {
  INFO("target: " << target);
  const auto parsed = parse_target(target);
  REQUIRE(std::holds_alternative<std::string>(parsed));
  CHECK(std::get<std::string>(parsed) == message);
}

}  // namespace

TEST_CASE("request target: the origin-form is its path and query", "[http][target]") {
  check_served("/", "/", "");
  check_served("/lexical", "/lexical", "");
  check_served("/lexical?min_length=3", "/lexical", "min_length=3");
  check_served("/lexical?", "/lexical", "");
  check_served("/a/b?x=1?y", "/a/b", "x=1?y");
  check_served("//", "//", "");
}

TEST_CASE("request target: the absolute-form is served like its path and query", "[http][target]") {
  check_served("http://localhost:8081/lexical", "/lexical", "");
  check_served("http://localhost/lexical?min_length=3", "/lexical", "min_length=3");
  check_served("http://127.0.0.1:8081/retain_s", "/retain_s", "");
  check_served("http://[::1]:8081/abc?x", "/abc", "x");
  // The scheme is matched without regard to case (RFC 3986 §3.1).
  check_served("HTTP://Example.COM/abc", "/abc", "");
  check_served("hTtP://example.com:80/abc", "/abc", "");
  // An empty path is "/" (RFC 9112 §3.2.1).
  check_served("http://localhost:8081", "/", "");
  check_served("http://localhost", "/", "");
  check_served("http://localhost?min_length=3", "/", "min_length=3");
  check_served("http://localhost/a/b", "/a/b", "");
}

TEST_CASE("request target: another scheme is refused, naming it", "[http][target]") {
  check_refused("https://localhost:8081/lexical",
                "the absolute-form target \"https://localhost:8081/lexical\" has the scheme "
                "\"https\"; netsvcd serves http here");
  check_refused("ftp://host/x",
                "the absolute-form target \"ftp://host/x\" has the scheme \"ftp\"; netsvcd "
                "serves http here");
  check_refused("httpx://host/x",
                "the absolute-form target \"httpx://host/x\" has the scheme \"httpx\"; netsvcd "
                "serves http here");
}

TEST_CASE("request target: an absolute-form with no host or with user information is refused",
          "[http][target]") {
  check_refused("http:///lexical", "the absolute-form target \"http:///lexical\" names no host");
  check_refused("http://", "the absolute-form target \"http://\" names no host");
  check_refused("http://:8081/abc", "the absolute-form target \"http://:8081/abc\" names no host");
  check_refused("http://user:secret@localhost/abc",
                "the absolute-form target \"http://user:secret@localhost/abc\" carries user "
                "information");
}

TEST_CASE("request target: the authority-form and the asterisk-form are refused, naming the form",
          "[http][target]") {
  check_refused("*",
                "the asterisk-form target \"*\" is only for OPTIONS on a whole server; ask for a "
                "path such as /lexical");
  check_refused("localhost:8081",
                "the authority-form target \"localhost:8081\" is only for CONNECT through a "
                "proxy, which netsvcd is not; ask for a path such as /lexical");
  check_refused("[::1]:443",
                "the authority-form target \"[::1]:443\" is only for CONNECT through a proxy, "
                "which netsvcd is not; ask for a path such as /lexical");
}

TEST_CASE("request target: anything else is refused as neither form", "[http][target]") {
  for (const std::string_view target : {"", "abc", "lexical?x=1", ":8081", "a/b", "1http://x/y"}) {
    check_refused(target, "the target \"" + std::string(target) +
                              "\" is neither a path starting with / nor an absolute http:// URL");
  }
}
