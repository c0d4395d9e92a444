// The bodies of the libFuzzer targets (one *_fuzzer.cpp each): each takes one input, drives the
// daemon's own code with it and checks that code's documented invariants, throwing
// InvariantBroken when one fails. The libFuzzer targets call them (built with clang and the
// sanitizers, make fuzz), and so does the suite's replay test (unit/fuzz_replay_test.cpp),
// which feeds them every seed in tests/fuzz/corpus/ and every finding in tests/fuzz/regressions/.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace netsvcd::fuzz {

// An invariant of the code under test does not hold: a bug, found.
struct InvariantBroken : std::logic_error {
  using std::logic_error::logic_error;
};

// Throws InvariantBroken with `what` when `condition` is false.
void check(bool condition, const std::string& what);

// YAML text into config::parse_config, with every kind the daemon knows. Documents that would
// make the loader resolve a host name or read a file outside the working directory are not fed
// to it (see config_loader.cpp): the target stays offline and deterministic.
void config_loader(std::string_view input);
// Bytes from an HTTP client into the word finder: the request heads in them parsed, their
// targets reduced and routed as the session does it, each answer's head checked; then the same
// bytes through the real session (serve_http) over a socketpair, whose answers must be the
// ones the first pass predicts.
void http_request(std::string_view input);
// A URL segment into wordfinder::parse_rack, with the default limits and with limits taken from
// the input's first two bytes.
void rack(std::string_view input);
// A word list into WordIndex::load_text: the index against a model of the documented loading
// rules, and searches against a brute-force scan.
void dictionary(std::string_view input);
// The bytes at the front of a connection into the PROXY step: parse_proxy_header against its
// documented bounds and a model of where the client is written; then ProxyReader::read_now over
// a socketpair, which must leave exactly the bytes after a header in the socket.
void proxy_header(std::string_view input);

// The targets by name, as the corpus directories are named.
struct Target {
  std::string_view name;
  void (*body)(std::string_view);
};
inline constexpr Target kTargets[] = {
    {"config_loader", config_loader}, {"http_request", http_request}, {"rack", rack},
    {"dictionary", dictionary},       {"proxy_header", proxy_header},
};

}  // namespace netsvcd::fuzz
