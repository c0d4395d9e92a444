// Unit tests for the config loader (daemon/config/loader.*): YAML text or file ► a typed Config,
// or every error with file:line:column, key path and message. Line and column numbers in the
// expected messages are counted by hand from the YAML in each test: line 1 is the first line
// after the opening `R"(` newline (doc() drops that newline), columns count from 1.
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "config/config_error.hpp"
#include "config/endpoint.hpp"
#include "config/loader.hpp"
#include "services/registry.hpp"

#include "support/config_text.hpp"
#include "support/string_makers.hpp"
#include "support/temp_dir.hpp"

namespace {

using netsvcd::LogTarget;
using netsvcd::config::Config;
using netsvcd::config::Endpoint;
using netsvcd::config::ListenerConfig;
using netsvcd::config::LoadResult;
using netsvcd::config::parse_config;
using netsvcd::test::config_of;
using netsvcd::test::errors_of;
using netsvcd::test::TempDir;
using Strings = std::vector<std::string>;
using namespace std::chrono_literals;

// The kinds netsvcd itself registers.
netsvcd::config::ListenerKinds kinds() {
  return netsvcd::services::listener_kinds();
}

// The YAML in these tests starts on the line after `R"(`; drop that first newline so that the
// first line seen in the source is line 1.
std::string doc(std::string_view text) {
  if (!text.empty() && text.front() == '\n') text.remove_prefix(1);
  return std::string(text);
}

Strings to_strings(const LoadResult& result) {
  Strings out;
  for (const auto& error : result.errors)
    out.push_back(netsvcd::config::to_string(error));
  return out;
}

// One hello listener whose listen value is `listen` (line 4, the value at column 13).
std::string with_listen(const std::string& listen) {
  return "listeners:\n"
         "  - name: a\n"
         "    kind: hello\n"
         "    listen: " +
         listen + "\n";
}

Endpoint endpoint(const char* address, std::uint16_t port, bool v6only) {
  return Endpoint{boost::asio::ip::make_address(address), port, v6only};
}

// services/hello.cpp's kMaxMessage: 16 MiB (it was 1 MiB before test payloads needed more).
constexpr std::size_t kMaxHelloMessage = 16 * 1024 * 1024;

const std::string kForms =
    "expected host:port such as [::]:8080, 0.0.0.0:8080, 127.0.0.1:8080, [::1]:8080 or "
    "localhost:8080";
const std::string kBadName = "(expected 1 to 64 characters of a-z, 0-9, '_' and '-')";
const std::string kStrftimeHint =
    "(expected a strftime pattern such as %c or %Y-%m-%d %H:%M:%S, rfc3339 or rfc868)";

// ---------------------------------------------------------------------------------------------
// Valid configs

TEST_CASE("config: the full example parses into typed values", "[config]") {
  const auto config = config_of(doc(R"(
threads: 4
log_level: debug
listeners:
  - name: hello
    kind: hello
    listen: "[::]:8001"
    message: Welcome to netsvcd
  - name: time
    kind: time
    listen:
      - 127.0.0.1:8013
      - "[::1]:8013"
    format: "%Y-%m-%d %H:%M:%S"
)"));
  CHECK(config->file == "netsvcd.yaml");
  CHECK(config->threads == 4);
  CHECK(config->log_level == spdlog::level::debug);
  CHECK(config->shutdown_timeout == 5s);
  REQUIRE(config->listeners.size() == 2);

  const ListenerConfig& hello = config->listeners[0];
  CHECK(hello.name == "hello");
  CHECK(hello.kind == "hello");
  CHECK(hello.endpoints == std::vector{endpoint("::", 8001, false)});
  CHECK_FALSE(hello.v6only);
  CHECK(hello.write_timeout == 10s);
  CHECK(hello.service != nullptr);
  CHECK(hello.line == 4);

  const ListenerConfig& time = config->listeners[1];
  CHECK(time.name == "time");
  CHECK(time.kind == "time");
  CHECK(time.endpoints ==
        std::vector{endpoint("127.0.0.1", 8013, false), endpoint("::1", 8013, true)});
  CHECK_FALSE(time.v6only);
  CHECK(time.write_timeout == 10s);
  CHECK(time.service != nullptr);
  CHECK(time.line == 8);
}

TEST_CASE("config: threads, log_level and log_target default to the CPU count, info and auto",
          "[config]") {
  const auto config = config_of(doc(R"(
listeners:
  - name: hello
    kind: hello
    listen: "[::]:8001"
)"));
  CHECK(config->threads == std::max(1U, std::thread::hardware_concurrency()));
  CHECK(config->log_level == spdlog::level::info);
  CHECK(config->log_target == LogTarget::automatic);
  CHECK(config->shutdown_timeout == 5s);
  REQUIRE(config->listeners.size() == 1);
  CHECK(config->listeners[0].write_timeout == 10s);
  CHECK(config->listeners[0].line == 2);
}

TEST_CASE("config: write_timeout and shutdown_timeout are read as durations", "[config]") {
  const auto config = config_of(doc(R"(
shutdown_timeout: 1m
listeners:
  - name: hello
    kind: hello
    listen: "[::]:8001"
    write_timeout: 2500ms
  - name: time
    kind: time
    listen: "[::]:8013"
    write_timeout: 1.5
)"));
  CHECK(config->shutdown_timeout == 60s);
  REQUIRE(config->listeners.size() == 2);
  CHECK(config->listeners[0].write_timeout == 2500ms);
  CHECK(config->listeners[1].write_timeout == 1500ms);
}

TEST_CASE("config: shutdown_timeout may be 0 and write_timeout may be 1ms", "[config]") {
  const auto config = config_of(doc(R"(
shutdown_timeout: 0
listeners:
  - name: hello
    kind: hello
    listen: "[::]:8001"
    write_timeout: 1ms
)"));
  CHECK(config->shutdown_timeout == 0ms);
  CHECK(config->listeners.at(0).write_timeout == 1ms);
}

TEST_CASE("config: every log_level name maps to its spdlog level", "[config]") {
  const std::vector<std::pair<std::string, spdlog::level::level_enum>> levels{
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},   {"warning", spdlog::level::warn},
      {"error", spdlog::level::err},
  };
  for (const auto& [name, level] : levels) {
    INFO("log_level: " << name);
    const auto config = config_of("log_level: " + name + "\n" + with_listen("\"[::]:8001\""));
    CHECK(config->log_level == level);
  }
}

TEST_CASE("config: threads accepts 1 and 1024", "[config]") {
  CHECK(config_of("threads: 1\n" + with_listen("\"[::]:8001\""))->threads == 1);
  CHECK(config_of("threads: 1024\n" + with_listen("\"[::]:8001\""))->threads == 1024);
}

TEST_CASE("config: hello and time listeners take their defaults without message or format",
          "[config]") {
  const auto config = config_of(doc(R"(
listeners:
  - name: hello
    kind: hello
    listen: "[::]:8001"
  - name: time
    kind: time
    listen: "[::]:8013"
)"));
  REQUIRE(config->listeners.size() == 2);
  CHECK(config->listeners[0].service != nullptr);
  CHECK(config->listeners[1].service != nullptr);
}

TEST_CASE("config: the time formats rfc3339, rfc868 and strftime flags are accepted", "[config]") {
  for (const std::string format : {"rfc3339", "rfc868", "\"%c\"", "\"%-d %_H %Ec %Od\""}) {
    INFO("format: " << format);
    const auto config = config_of(doc(R"(
listeners:
  - name: time
    kind: time
    listen: "[::]:8013"
    format: )") + format + "\n");
    CHECK(config->listeners.at(0).service != nullptr);
  }
}

TEST_CASE("config: a hello message of exactly the maximum size is accepted", "[config]") {
  const auto config = config_of(with_listen("\"[::]:8001\"") +
                                "    message: " + std::string(kMaxHelloMessage, 'a') + "\n");
  CHECK(config->listeners.at(0).service != nullptr);
}

TEST_CASE("config: a listener name of 64 characters of a-z, 0-9, _ and - is accepted", "[config]") {
  const std::string name = "a0_-" + std::string(60, 'z');
  REQUIRE(name.size() == 64);
  const auto config =
      config_of("listeners:\n  - name: " + name + "\n    kind: hello\n    listen: \"[::]:8001\"\n");
  CHECK(config->listeners.at(0).name == name);
}

// ---------------------------------------------------------------------------------------------
// Listen forms

TEST_CASE("config: listen as a single string gives one endpoint", "[config][listen]") {
  const auto config = config_of(with_listen("127.0.0.1:8001"));
  CHECK(config->listeners.at(0).endpoints == std::vector{endpoint("127.0.0.1", 8001, false)});
}

TEST_CASE("config: listen as a list gives every endpoint in order", "[config][listen]") {
  const auto config = config_of(doc(R"(
listeners:
  - name: a
    kind: hello
    listen:
      - "[::1]:8001"
      - 127.0.0.1:8001
      - 127.0.0.1:8002
)"));
  CHECK(config->listeners.at(0).endpoints == std::vector{endpoint("::1", 8001, true),
                                                         endpoint("127.0.0.1", 8001, false),
                                                         endpoint("127.0.0.1", 8002, false)});
}

TEST_CASE("config: [::]:P is dual-stack by default", "[config][listen]") {
  const auto config = config_of(with_listen("\"[::]:8001\""));
  const ListenerConfig& listener = config->listeners.at(0);
  CHECK_FALSE(listener.v6only);
  REQUIRE(listener.endpoints == std::vector{endpoint("::", 8001, false)});
  CHECK(listener.endpoints[0].dual_stack());
}

TEST_CASE("config: v6only: true makes [::]:P IPv6 only", "[config][listen]") {
  const auto config = config_of(with_listen("\"[::]:8001\"") + "    v6only: true\n");
  const ListenerConfig& listener = config->listeners.at(0);
  CHECK(listener.v6only);
  REQUIRE(listener.endpoints == std::vector{endpoint("::", 8001, true)});
  CHECK_FALSE(listener.endpoints[0].dual_stack());
}

TEST_CASE("config: v6only: false is read as false", "[config][listen]") {
  const auto config = config_of(with_listen("\"[::]:8001\"") + "    v6only: false\n");
  CHECK_FALSE(config->listeners.at(0).v6only);
  CHECK(config->listeners.at(0).endpoints == std::vector{endpoint("::", 8001, false)});
}

TEST_CASE("config: 0.0.0.0:P is the IPv4 wildcard", "[config][listen]") {
  const auto config = config_of(with_listen("0.0.0.0:8001"));
  CHECK(config->listeners.at(0).endpoints == std::vector{endpoint("0.0.0.0", 8001, false)});
}

TEST_CASE("config: [::1]:P is always v6only", "[config][listen]") {
  const auto config = config_of(with_listen("\"[::1]:8001\""));
  CHECK(config->listeners.at(0).endpoints == std::vector{endpoint("::1", 8001, true)});
}

TEST_CASE("config: localhost:P takes what the name resolves to", "[config][listen]") {
  // How names resolve is endpoint_test's business; here, that the loader keeps the result.
  const auto config = config_of(with_listen("localhost:8001"));
  const auto resolved = netsvcd::config::resolve_listen("localhost:8001", false);
  CHECK(config->listeners.at(0).endpoints == std::get<std::vector<Endpoint>>(resolved));
}

// ---------------------------------------------------------------------------------------------
// Errors about the file as a whole

TEST_CASE("config error: YAML syntax error names its line and column", "[config][errors]") {
  CHECK(errors_of(doc(R"(
threads: 2
listeners:
  - name: a
    kind: hello
   listen: "[::]:8001"
)")) == Strings{"netsvcd.yaml:5:4: YAML syntax error: end of sequence not found"});
}

TEST_CASE("config error: unclosed flow list is a YAML syntax error at the end",
          "[config][errors]") {
  CHECK(errors_of("threads: 2\nlisteners: [\n") ==
        Strings{"netsvcd.yaml:3:1: YAML syntax error: end of sequence flow not found"});
}

TEST_CASE("config error: an empty file", "[config][errors]") {
  const Strings expected{
      "netsvcd.yaml: the file is empty: expected a mapping with a \"listeners\" list"};
  CHECK(errors_of("") == expected);
  CHECK(errors_of("# nothing but a comment\n") == expected);
}

TEST_CASE("config error: the top level is not a mapping", "[config][errors]") {
  CHECK(errors_of("- name: a\n  kind: hello\n") ==
        Strings{"netsvcd.yaml:1:1: expected a mapping with a \"listeners\" list, got a list"});
  CHECK(
      errors_of("just text\n") ==
      Strings{"netsvcd.yaml:1:1: expected a mapping with a \"listeners\" list, got \"just text\""});
}

TEST_CASE("config error: more than one YAML document", "[config][errors]") {
  CHECK(errors_of(doc(R"(
listeners:
  - name: a
    kind: hello
    listen: "[::]:8001"
---
threads: 2
)")) == Strings{"netsvcd.yaml:6:1: more than one YAML document; expected exactly one"});
}

// yaml-cpp 0.7 reads a ',' that starts a line outside brackets as an endless run of empty
// documents at the same place: the loader reads two documents at most, and names the character.
// Found by the config_loader fuzz target (tests/fuzz/regressions/config_loader/).
TEST_CASE("config error: a stray ',' is a syntax error, not endless documents",
          "[config][errors]") {
  CHECK(errors_of(",\n") == Strings{"netsvcd.yaml:1:1: YAML syntax error: unexpected ','"});
  CHECK(errors_of("# a comment\n[a]\n, b\n") ==
        Strings{"netsvcd.yaml:3:1: YAML syntax error: unexpected ','"});
  CHECK(errors_of(doc(R"(
listeners:
  - name: a
    kind: hello
    listen: "[::]:8001"
---
,
)")) == Strings{"netsvcd.yaml:6:1: more than one YAML document; expected exactly one"});
}

// ---------------------------------------------------------------------------------------------
// Errors in the listeners list and its entries

TEST_CASE("config error: listeners is missing", "[config][errors]") {
  CHECK(
      errors_of("threads: 2\nlog_level: info\n") ==
      Strings{"netsvcd.yaml:1:1: listeners: missing (this key is required: a list of listeners)"});
}

TEST_CASE("config error: listeners is an empty list or not a list", "[config][errors]") {
  CHECK(errors_of("threads: 2\nlisteners: []\n") ==
        Strings{"netsvcd.yaml:2:12: listeners: expected a list of one or more listeners, got an "
                "empty list"});
  CHECK(errors_of("listeners:\n  name: a\n") ==
        Strings{"netsvcd.yaml:2:3: listeners: expected a list of one or more listeners, got a "
                "mapping"});
}

TEST_CASE("config error: a misspelt kind does not hide the listener's misspelt keys",
          "[config][errors]") {
  CHECK(errors_of(doc(R"(
listeners:
  - name: a
    kind: tiem
    listen: "[::]:8001"
    v6onyl: true
    format: "%c"
)")) == Strings{"netsvcd.yaml:3:11: listeners[0].kind: unknown kind \"tiem\" (expected hello, "
                "time, wordfinder, metrics)",
                "netsvcd.yaml:5:5: listeners[0].v6onyl: unknown key: did you mean \"v6only\"? "
                "(expected name, kind, v6only, write_timeout, listen, max_connections, "
                "max_per_source, rate_limit, allow, deny, udp_rate_per_source, udp_rate, "
                "proxy_protocol, proxy_from, message, "
                "format, dictionary, min_length, max_letters, max_blanks, cache_entries, "
                "request_timeout, idle_timeout)"});
}

TEST_CASE("config error: a listener that is not a mapping", "[config][errors]") {
  CHECK(errors_of(doc(R"(
listeners:
  - "[::]:8001"
  - name: b
    kind: hello
    listen: "[::]:8002"
)")) == Strings{"netsvcd.yaml:2:5: listeners[0]: expected a mapping with name, kind and listen, "
                "got \"[::]:8001\""});
}

TEST_CASE("config error: listener without name", "[config][errors]") {
  CHECK(errors_of(doc(R"(
listeners:
  - kind: hello
    listen: "[::]:8001"
)")) == Strings{"netsvcd.yaml:2:5: listeners[0].name: missing (this key is required)"});
}

TEST_CASE("config error: listener without kind", "[config][errors]") {
  CHECK(errors_of(doc(R"(
listeners:
  - name: a
    listen: "[::]:8001"
)")) == Strings{"netsvcd.yaml:2:5: listeners[0].kind: missing (this key is required)"});
}

TEST_CASE("config error: listener without listen", "[config][errors]") {
  CHECK(errors_of(doc(R"(
listeners:
  - name: a
    kind: hello
)")) == Strings{"netsvcd.yaml:2:5: listeners[0].listen: missing (this key is required: one or "
                "more host:port)"});
}

TEST_CASE("config error: bad listener names", "[config][errors]") {
  // "  - name: " is 10 characters: the value starts at column 11 of line 2.
  const auto name_errors = [](const std::string& yaml_name) {
    return errors_of("listeners:\n  - name: " + yaml_name +
                     "\n    kind: hello\n    listen: \"[::]:8001\"\n");
  };
  const auto bad_name = [](const std::string& shown) {
    return Strings{"netsvcd.yaml:2:11: listeners[0].name: bad name \"" + shown + "\" " + kBadName};
  };
  CHECK(name_errors("Hello") == bad_name("Hello"));
  CHECK(name_errors("\"my listener\"") == bad_name("my listener"));
  CHECK(name_errors("a.b") == bad_name("a.b"));
  CHECK(name_errors("\"\"") == bad_name(""));
  const std::string too_long(65, 'a');
  CHECK(name_errors(too_long) == bad_name(too_long));
}

TEST_CASE("config error: duplicate listener name names the first one's line", "[config][errors]") {
  CHECK(errors_of(doc(R"(
listeners:
  - name: greet
    kind: hello
    listen: "[::]:8001"
  - name: greet
    kind: time
    listen: "[::]:8002"
)")) == Strings{"netsvcd.yaml:5:11: listeners[1].name: duplicate listener name \"greet\" (first "
                "used at line 2)"});
}

TEST_CASE("config error: unknown kind", "[config][errors]") {
  CHECK(errors_of(doc(R"(
listeners:
  - name: hello
    kind: hello
    listen: "[::]:8001"
  - name: time
    kind: tiem
    listen: "[::]:8013"
)")) == Strings{"netsvcd.yaml:6:11: listeners[1].kind: unknown kind \"tiem\" (expected hello, "
                "time, wordfinder, metrics)"});
}

TEST_CASE("config error: unknown top-level key suggests the closest one", "[config][errors]") {
  CHECK(errors_of("thread: 4\n" + with_listen("\"[::]:8001\"")) ==
        Strings{"netsvcd.yaml:1:1: thread: unknown key: did you mean \"threads\"? (expected "
                "threads, log_level, log_target, shutdown_timeout, stop_delay, defaults, include, "
                "listeners)"});
}

TEST_CASE("config error: unknown top-level key with nothing close lists the expected keys",
          "[config][errors]") {
  CHECK(errors_of(with_listen("\"[::]:8001\"") + "colour: blue\n") ==
        Strings{"netsvcd.yaml:5:1: colour: unknown key (expected threads, log_level, "
                "log_target, shutdown_timeout, stop_delay, defaults, include, listeners)"});
}

TEST_CASE("config error: unknown hello listener key suggests message", "[config][errors]") {
  CHECK(errors_of(with_listen("\"[::]:8001\"") + "    mesage: hi\n") ==
        Strings{"netsvcd.yaml:5:5: listeners[0].mesage: unknown key: did you mean \"message\"? "
                "(expected name, kind, v6only, write_timeout, listen, max_connections, "
                "max_per_source, rate_limit, allow, deny, udp_rate_per_source, udp_rate, "
                "proxy_protocol, proxy_from, "
                "message)"});
}

TEST_CASE("config error: unknown keys in a time listener, message included", "[config][errors]") {
  CHECK(errors_of(doc(R"(
listeners:
  - name: t
    kind: time
    listen: "[::]:8013"
    formt: rfc3339
    message: hi
)")) == Strings{"netsvcd.yaml:5:5: listeners[0].formt: unknown key: did you mean \"format\"? "
                "(expected name, kind, v6only, write_timeout, listen, max_connections, "
                "max_per_source, rate_limit, allow, deny, udp_rate_per_source, udp_rate, "
                "proxy_protocol, proxy_from, format)",
                "netsvcd.yaml:6:5: listeners[0].message: unknown key (expected name, kind, "
                "v6only, write_timeout, listen, max_connections, max_per_source, rate_limit, "
                "allow, deny, udp_rate_per_source, udp_rate, proxy_protocol, proxy_from, format)"});
}

TEST_CASE("config error: duplicate top-level key", "[config][errors]") {
  CHECK(errors_of("threads: 2\nthreads: 3\n" + with_listen("\"[::]:8001\"")) ==
        Strings{"netsvcd.yaml:2:1: threads: duplicate key (first given at line 1)"});
}

TEST_CASE("config error: duplicate key in a listener", "[config][errors]") {
  CHECK(errors_of(doc(R"(
listeners:
  - name: a
    kind: hello
    kind: time
    listen: "[::]:8001"
)")) == Strings{"netsvcd.yaml:4:5: listeners[0].kind: duplicate key (first given at line 3)"});
}

// ---------------------------------------------------------------------------------------------
// Errors in listen entries (the value of `listen:` is on line 4, column 13)

TEST_CASE("config error: bad ports", "[config][errors][listen]") {
  const auto at_listen = [](const std::string& message) {
    return Strings{"netsvcd.yaml:4:13: listeners[0].listen: " + message};
  };
  CHECK(errors_of(with_listen("\"[::]:0\"")) == at_listen("bad port \"0\" (expected 1 to 65535)"));
  CHECK(errors_of(with_listen("\"[::]:65536\"")) ==
        at_listen("bad port \"65536\" (expected 1 to 65535)"));
  CHECK(errors_of(with_listen("127.0.0.1:http")) ==
        at_listen("bad port \"http\" (expected 1 to 65535)"));
  CHECK(errors_of(with_listen("\"127.0.0.1:\"")) ==
        at_listen("bad port \"\" (expected 1 to 65535)"));
  CHECK(errors_of(with_listen("127.0.0.1")) == at_listen("missing :port; " + kForms));
  CHECK(errors_of(with_listen("\"[::1]\"")) == at_listen("missing :port after ']'; " + kForms));
}

TEST_CASE("config error: an empty listen list", "[config][errors][listen]") {
  CHECK(errors_of(with_listen("[]")) ==
        Strings{"netsvcd.yaml:4:13: listeners[0].listen: empty: expected one or more host:port"});
}

TEST_CASE("config error: a listen list entry that is wrong names its index",
          "[config][errors][listen]") {
  CHECK(errors_of(doc(R"(
listeners:
  - name: a
    kind: hello
    listen:
      - 127.0.0.1:8001
      - 127.0.0.1:0
)")) == Strings{"netsvcd.yaml:6:9: listeners[0].listen[1]: bad port \"0\" (expected 1 to "
                "65535)"});
}

TEST_CASE("config error: an IPv6 address without brackets", "[config][errors][listen]") {
  CHECK(errors_of(with_listen("\"::1:8001\"")) ==
        Strings{"netsvcd.yaml:4:13: listeners[0].listen: an IPv6 address needs brackets, as in "
                "[::1]:8080"});
}

TEST_CASE("config error: a bad IPv6 address", "[config][errors][listen]") {
  CHECK(errors_of(with_listen("\"[::g]:8001\"")) ==
        Strings{"netsvcd.yaml:4:13: listeners[0].listen: bad IPv6 address \"::g\""});
  CHECK(errors_of(with_listen("\"[127.0.0.1]:8001\"")) ==
        Strings{"netsvcd.yaml:4:13: listeners[0].listen: bad IPv6 address \"127.0.0.1\""});
}

TEST_CASE("config error: an IPv4-mapped IPv6 address", "[config][errors][listen]") {
  CHECK(errors_of(with_listen("\"[::ffff:127.0.0.1]:8001\"")) ==
        Strings{"netsvcd.yaml:4:13: listeners[0].listen: an IPv4-mapped address; write the IPv4 "
                "address itself, as in 127.0.0.1:8001"});
}

TEST_CASE("config error: an unresolvable host name", "[config][errors][listen]") {
  const Strings errors = errors_of(with_listen("nosuchhost.invalid:80"));
  REQUIRE(errors.size() == 1);
  CHECK_THAT(errors[0], Catch::StartsWith("netsvcd.yaml:4:13: listeners[0].listen: cannot resolve "
                                          "\"nosuchhost.invalid\": "));
  CHECK(errors[0].size() > std::string_view("netsvcd.yaml:4:13: listeners[0].listen: cannot "
                                            "resolve \"nosuchhost.invalid\": ")
                               .size());
}

TEST_CASE("config error: a host name with characters no host name has",
          "[config][errors][listen]") {
  CHECK(errors_of(with_listen("bad_host:80")) ==
        Strings{"netsvcd.yaml:4:13: listeners[0].listen: bad host \"bad_host\"; " + kForms});
}

// ---------------------------------------------------------------------------------------------
// Errors in typed values

TEST_CASE("config error: bad threads", "[config][errors]") {
  // "threads: " is 9 characters: the value is at 1:10.
  for (const std::string value : {"0", "1025", "four", "2.5", "-1"}) {
    INFO("threads: " << value);
    CHECK(errors_of("threads: " + value + "\n" + with_listen("\"[::]:8001\"")) ==
          Strings{"netsvcd.yaml:1:10: threads: expected a whole number from 1 to 1024, got \"" +
                  value + "\""});
  }
  CHECK(errors_of("threads: [4]\n" + with_listen("\"[::]:8001\"")) ==
        Strings{"netsvcd.yaml:1:10: threads: expected a whole number from 1 to 1024, got a list"});
}

TEST_CASE("config error: bad log_level", "[config][errors]") {
  // "log_level: " is 11 characters: the value is at 1:12.
  for (const std::string value : {"verbose", "warn", "INFO"}) {
    INFO("log_level: " << value);
    CHECK(errors_of("log_level: " + value + "\n" + with_listen("\"[::]:8001\"")) ==
          Strings{"netsvcd.yaml:1:12: log_level: unknown level \"" + value +
                  "\" (expected trace, debug, info, warning or error)"});
  }
}

TEST_CASE("config: every log_target name maps to its target", "[config]") {
  const std::vector<std::pair<std::string, LogTarget>> targets{
      {"auto", LogTarget::automatic},
      {"journal", LogTarget::journal},
      {"console", LogTarget::console},
  };
  for (const auto& [name, target] : targets) {
    INFO("log_target: " << name);
    const auto config = config_of("log_target: " + name + "\n" + with_listen("\"[::]:8001\""));
    CHECK(config->log_target == target);
  }
}

TEST_CASE("config error: bad log_target", "[config][errors]") {
  // "log_target: " is 12 characters: the value is at 1:13.
  for (const std::string value : {"systemd", "Journal", "stderr", "automatic", "\"\""}) {
    INFO("log_target: " << value);
    const std::string shown = value == "\"\"" ? "" : value;
    CHECK(errors_of("log_target: " + value + "\n" + with_listen("\"[::]:8001\"")) ==
          Strings{"netsvcd.yaml:1:13: log_target: unknown target \"" + shown +
                  "\" (expected auto, journal or console)"});
  }
  CHECK(errors_of("log_target: [journal]\n" + with_listen("\"[::]:8001\"")) ==
        Strings{"netsvcd.yaml:1:13: log_target: expected a string, got a list"});
}

TEST_CASE("config error: a misspelt log_target key suggests log_target", "[config][errors]") {
  CHECK(errors_of("log_taget: journal\n" + with_listen("\"[::]:8001\"")) ==
        Strings{"netsvcd.yaml:1:1: log_taget: unknown key: did you mean \"log_target\"? "
                "(expected threads, log_level, log_target, shutdown_timeout, stop_delay, defaults, "
                "include, "
                "listeners)"});
}

TEST_CASE("config error: bad shutdown_timeout", "[config][errors]") {
  // "shutdown_timeout: " is 18 characters: the value is at 1:19.
  for (const std::string value : {"10x", "-1s", "soon", "8d"}) {
    INFO("shutdown_timeout: " << value);
    CHECK(errors_of("shutdown_timeout: " + value + "\n" + with_listen("\"[::]:8001\"")) ==
          Strings{"netsvcd.yaml:1:19: shutdown_timeout: expected a duration of at least 0s such "
                  "as 10s, 500ms or 2m, got \"" +
                  value + "\""});
  }
}

TEST_CASE("config error: bad write_timeout", "[config][errors]") {
  // "    write_timeout: " is 19 characters: the value is at 5:20.
  for (const std::string value : {"0", "0s", "10x", "-5s", "200h"}) {
    INFO("write_timeout: " << value);
    CHECK(errors_of(with_listen("\"[::]:8001\"") + "    write_timeout: " + value + "\n") ==
          Strings{"netsvcd.yaml:5:20: listeners[0].write_timeout: expected a duration of at "
                  "least 1ms such as 10s, 500ms or 2m, got \"" +
                  value + "\""});
  }
}

TEST_CASE("config error: v6only accepts only true or false", "[config][errors]") {
  // "    v6only: " is 12 characters: the value is at 5:13.
  for (const std::string value : {"yes", "no", "on", "1"}) {
    INFO("v6only: " << value);
    CHECK(errors_of(with_listen("\"[::]:8001\"") + "    v6only: " + value + "\n") ==
          Strings{"netsvcd.yaml:5:13: listeners[0].v6only: expected true or false, got \"" + value +
                  "\""});
  }
}

TEST_CASE("config error: hello message longer than the maximum size", "[config][errors]") {
  // "    message: " is 13 characters: the value is at 5:14.
  CHECK(errors_of(with_listen("\"[::]:8001\"") +
                  "    message: " + std::string(kMaxHelloMessage + 1, 'a') + "\n") ==
        Strings{"netsvcd.yaml:5:14: listeners[0].message: longer than 16777216 bytes"});
}

TEST_CASE("config error: bad time formats", "[config][errors]") {
  // "    format: " is 12 characters: the value is at 5:13.
  const auto format_errors = [](const std::string& format) {
    return errors_of(doc(R"(
listeners:
  - name: t
    kind: time
    listen: "[::]:8013"
    format: )") + format +
                     "\n");
  };
  const auto at_format = [](const std::string& message) {
    return Strings{"netsvcd.yaml:5:13: listeners[0].format: " + message};
  };
  CHECK(format_errors("\"%Q\"") ==
        at_format("unknown conversion \"%Q\" at offset 0 " + kStrftimeHint));
  CHECK(format_errors("\"%H:%M %\"") ==
        at_format("format ends inside \"%\" (write %% for a literal %)"));
  CHECK(format_errors("\"%Ez\"") ==
        at_format("unknown conversion \"%Ez\" at offset 0 " + kStrftimeHint));
  CHECK(format_errors("\"\"") ==
        at_format("empty format (expected a strftime pattern, rfc3339 or rfc868)"));
  CHECK(format_errors("\"%1500Y\"") ==
        at_format("format gives an empty line or one longer than 1023 characters"));
  CHECK(format_errors("[a]") == at_format("expected a string, got a list"));
}

// ---------------------------------------------------------------------------------------------
// Address clashes between listen entries

TEST_CASE("config clash: the same address and port in two listeners", "[config][clash]") {
  CHECK(errors_of(doc(R"(
listeners:
  - name: one
    kind: hello
    listen: 127.0.0.1:8001
  - name: two
    kind: time
    listen: 127.0.0.1:8001
)")) == Strings{"netsvcd.yaml:7:13: listeners[1].listen: \"127.0.0.1:8001\" of listener two "
                "cannot be bound beside \"127.0.0.1:8001\" of listener one (listeners[0].listen, "
                "line 4): the same address and port twice"});
}

TEST_CASE("config clash: 0.0.0.0:P beside dual-stack [::]:P", "[config][clash]") {
  CHECK(errors_of(doc(R"(
listeners:
  - name: v4
    kind: hello
    listen: 0.0.0.0:8001
  - name: both
    kind: hello
    listen: "[::]:8001"
)")) == Strings{"netsvcd.yaml:7:13: listeners[1].listen: \"[::]:8001\" of listener both cannot "
                "be bound beside \"0.0.0.0:8001\" of listener v4 (listeners[0].listen, line 4): "
                "[::]:8001 is dual-stack and already takes IPv4 on that port (give its listener "
                "v6only: true to share the port with IPv4 listeners)"});
}

TEST_CASE("config clash: dual-stack [::]:P first, then 0.0.0.0:P", "[config][clash]") {
  CHECK(errors_of(doc(R"(
listeners:
  - name: both
    kind: hello
    listen: "[::]:8001"
  - name: v4
    kind: hello
    listen: 0.0.0.0:8001
)")) == Strings{"netsvcd.yaml:7:13: listeners[1].listen: \"0.0.0.0:8001\" of listener v4 cannot "
                "be bound beside \"[::]:8001\" of listener both (listeners[0].listen, line 4): "
                "[::]:8001 is dual-stack and already takes IPv4 on that port (give its listener "
                "v6only: true to share the port with IPv4 listeners)"});
}

TEST_CASE("config clash: 127.0.0.1:P beside dual-stack [::]:P", "[config][clash]") {
  CHECK(errors_of(doc(R"(
listeners:
  - name: both
    kind: hello
    listen: "[::]:8001"
  - name: local
    kind: time
    listen: 127.0.0.1:8001
)")) == Strings{"netsvcd.yaml:7:13: listeners[1].listen: \"127.0.0.1:8001\" of listener local "
                "cannot be bound beside \"[::]:8001\" of listener both (listeners[0].listen, line "
                "4): [::]:8001 is dual-stack and already takes IPv4 on that port (give its "
                "listener v6only: true to share the port with IPv4 listeners)"});
}

TEST_CASE("config clash: [::1]:P beside [::]:P", "[config][clash]") {
  CHECK(errors_of(doc(R"(
listeners:
  - name: both
    kind: hello
    listen: "[::]:8001"
  - name: local6
    kind: time
    listen: "[::1]:8001"
)")) == Strings{"netsvcd.yaml:7:13: listeners[1].listen: \"[::1]:8001\" of listener local6 "
                "cannot be bound beside \"[::]:8001\" of listener both (listeners[0].listen, line "
                "4): [::]:8001 already takes every IPv6 address on that port"});
}

TEST_CASE("config clash: [::1]:P beside [::]:P even with v6only: true", "[config][clash]") {
  CHECK(errors_of(doc(R"(
listeners:
  - name: only6
    kind: hello
    listen: "[::]:8001"
    v6only: true
  - name: local6
    kind: time
    listen: "[::1]:8001"
)")) == Strings{"netsvcd.yaml:8:13: listeners[1].listen: \"[::1]:8001\" of listener local6 "
                "cannot be bound beside \"[::]:8001\" of listener only6 (listeners[0].listen, "
                "line 4): [::]:8001 already takes every IPv6 address on that port"});
}

TEST_CASE("config clash: 127.0.0.1:P beside 0.0.0.0:P", "[config][clash]") {
  CHECK(errors_of(doc(R"(
listeners:
  - name: any4
    kind: hello
    listen: 0.0.0.0:8001
  - name: local
    kind: time
    listen: 127.0.0.1:8001
)")) == Strings{"netsvcd.yaml:7:13: listeners[1].listen: \"127.0.0.1:8001\" of listener local "
                "cannot be bound beside \"0.0.0.0:8001\" of listener any4 (listeners[0].listen, "
                "line 4): 0.0.0.0:8001 already takes every IPv4 address on that port"});
}

TEST_CASE("config clash: localhost:P beside 127.0.0.1:P", "[config][clash]") {
  CHECK(errors_of(doc(R"(
listeners:
  - name: local
    kind: hello
    listen: 127.0.0.1:8001
  - name: byname
    kind: time
    listen: localhost:8001
)")) == Strings{"netsvcd.yaml:7:13: listeners[1].listen: \"localhost:8001\" of listener byname "
                "cannot be bound beside \"127.0.0.1:8001\" of listener local (listeners[0].listen, "
                "line 4): the same address and port twice"});
}

TEST_CASE("config clash: two entries of one listener's list", "[config][clash]") {
  CHECK(errors_of(doc(R"(
listeners:
  - name: a
    kind: hello
    listen:
      - 0.0.0.0:8001
      - "[::]:8001"
)")) == Strings{"netsvcd.yaml:6:9: listeners[0].listen[1]: \"[::]:8001\" of listener a cannot "
                "be bound beside \"0.0.0.0:8001\" of listener a (listeners[0].listen[0], line 5): "
                "[::]:8001 is dual-stack and already takes IPv4 on that port (give its listener "
                "v6only: true to share the port with IPv4 listeners)"});
}

TEST_CASE("config clash: the same address twice in one listener's list", "[config][clash]") {
  CHECK(errors_of(doc(R"(
listeners:
  - name: a
    kind: hello
    listen: ["127.0.0.1:8001", "127.0.0.1:8001"]
)")) == Strings{"netsvcd.yaml:4:32: listeners[0].listen[1]: \"127.0.0.1:8001\" of listener a "
                "cannot be bound beside \"127.0.0.1:8001\" of listener a (listeners[0].listen[0], "
                "line 4): the same address and port twice"});
}

TEST_CASE("config no clash: 0.0.0.0:P beside [::]:P with v6only: true", "[config][clash]") {
  const auto config = config_of(doc(R"(
listeners:
  - name: v4
    kind: hello
    listen: 0.0.0.0:8001
  - name: v6
    kind: hello
    listen: "[::]:8001"
    v6only: true
)"));
  REQUIRE(config->listeners.size() == 2);
  CHECK(config->listeners[0].endpoints == std::vector{endpoint("0.0.0.0", 8001, false)});
  CHECK(config->listeners[1].endpoints == std::vector{endpoint("::", 8001, true)});
}

TEST_CASE("config no clash: 127.0.0.1:P beside [::1]:P", "[config][clash]") {
  const auto config = config_of(doc(R"(
listeners:
  - name: local4
    kind: hello
    listen: 127.0.0.1:8001
  - name: local6
    kind: hello
    listen: "[::1]:8001"
)"));
  CHECK(config->listeners.size() == 2);
}

TEST_CASE("config no clash: the same address on different ports", "[config][clash]") {
  const auto config = config_of(doc(R"(
listeners:
  - name: one
    kind: hello
    listen: "[::]:8001"
  - name: two
    kind: time
    listen: "[::]:8002"
  - name: three
    kind: time
    listen: 0.0.0.0:8003
)"));
  CHECK(config->listeners.size() == 3);
}

// ---------------------------------------------------------------------------------------------
// Every error at once

TEST_CASE("config errors: every error is reported, in file order", "[config][errors]") {
  CHECK(errors_of(doc(R"(
threads: 0
log_level: loud
shutdown_timeout: never
listeners:
  - name: Bad Name
    kind: tiem
    listen: "[::]:99999"
  - name: ok
    kind: hello
    listen: "[::]:8001"
    v6only: maybe
  - name: clock
    kind: time
    listen: 127.0.0.1:8013
    format: "%Q"
    colour: red
)")) == Strings{
            "netsvcd.yaml:1:10: threads: expected a whole number from 1 to 1024, got \"0\"",
            "netsvcd.yaml:2:12: log_level: unknown level \"loud\" (expected trace, debug, info, "
            "warning or error)",
            "netsvcd.yaml:3:19: shutdown_timeout: expected a duration of at least 0s such as "
            "10s, 500ms or 2m, got \"never\"",
            "netsvcd.yaml:5:11: listeners[0].name: bad name \"Bad Name\" " + kBadName,
            "netsvcd.yaml:6:11: listeners[0].kind: unknown kind \"tiem\" (expected hello, "
            "time, wordfinder, metrics)",
            "netsvcd.yaml:7:13: listeners[0].listen: bad port \"99999\" (expected 1 to 65535)",
            "netsvcd.yaml:11:13: listeners[1].v6only: expected true or false, got \"maybe\"",
            "netsvcd.yaml:15:13: listeners[2].format: unknown conversion \"%Q\" at offset 0 " +
                kStrftimeHint,
            "netsvcd.yaml:16:5: listeners[2].colour: unknown key (expected name, kind, v6only, "
            "write_timeout, listen, max_connections, max_per_source, rate_limit, allow, deny, "
            "udp_rate_per_source, udp_rate, "
            "proxy_protocol, proxy_from, format)",
        });
}

// The keys here are not in the order the loader checks them: a top-level key before listeners,
// listen before v6only in a listener. The messages must still come in file order.
TEST_CASE("config errors: errors come in file order whatever the order of the keys",
          "[config][errors]") {
  CHECK(errors_of(doc(R"(
thread: 4
listeners:
  - listen: "[::]:0"
    name: a
    kind: hello
    v6only: yes
)")) == Strings{
            "netsvcd.yaml:1:1: thread: unknown key: did you mean \"threads\"? (expected "
            "threads, log_level, log_target, shutdown_timeout, stop_delay, defaults, include, "
            "listeners)",
            "netsvcd.yaml:3:13: listeners[0].listen: bad port \"0\" (expected 1 to 65535)",
            "netsvcd.yaml:6:13: listeners[0].v6only: expected true or false, got \"yes\"",
        });
}

TEST_CASE("config errors: ConfigError fields hold file, line, column, path and message",
          "[config][errors]") {
  const LoadResult result = parse_config(with_listen("\"[::]:0\""), "conf/x.yaml", kinds());
  CHECK(result.config == nullptr);
  REQUIRE(result.errors.size() == 1);
  const auto& error = result.errors[0];
  CHECK(error.file == "conf/x.yaml");
  CHECK(error.line == 4);
  CHECK(error.column == 13);
  CHECK(error.path == "listeners[0].listen");
  CHECK(error.message == "bad port \"0\" (expected 1 to 65535)");
  CHECK(netsvcd::config::to_string(error) ==
        "conf/x.yaml:4:13: listeners[0].listen: bad port \"0\" (expected 1 to 65535)");
}

// ---------------------------------------------------------------------------------------------
// Files

TEST_CASE("config file: a missing file cannot be read", "[config][file]") {
  const TempDir dir;
  const auto path = dir.path() / "missing.yaml";
  const LoadResult result = netsvcd::config::load_config_file(path, kinds());
  CHECK(result.config == nullptr);
  CHECK(to_strings(result) == Strings{path.string() + ": cannot read: No such file or directory"});
}

TEST_CASE("config file: a directory cannot be read", "[config][file]") {
  const TempDir dir;
  const LoadResult result = netsvcd::config::load_config_file(dir.path(), kinds());
  CHECK(result.config == nullptr);
  CHECK(to_strings(result) == Strings{dir.path().string() + ": cannot read: it is a directory"});
}

TEST_CASE("config file: a valid file loads and keeps its name", "[config][file]") {
  const TempDir dir;
  const auto path = dir.write("netsvcd.yaml", doc(R"(
threads: 3
listeners:
  - name: hello
    kind: hello
    listen: 127.0.0.1:8001
)"));
  const LoadResult result = netsvcd::config::load_config_file(path, kinds());
  CHECK(to_strings(result).empty());
  REQUIRE(result.config != nullptr);
  CHECK(result.config->file == path.string());
  CHECK(result.config->threads == 3);
  REQUIRE(result.config->listeners.size() == 1);
  CHECK(result.config->listeners[0].endpoints == std::vector{endpoint("127.0.0.1", 8001, false)});
}

TEST_CASE("config file: errors in a file name it as given", "[config][file]") {
  const TempDir dir;
  const auto path = dir.write("bad.yaml", with_listen("\"[::]:0\""));
  const LoadResult result = netsvcd::config::load_config_file(path, kinds());
  CHECK(result.config == nullptr);
  CHECK(
      to_strings(result) ==
      Strings{path.string() + ":4:13: listeners[0].listen: bad port \"0\" (expected 1 to 65535)"});
}

}  // namespace
