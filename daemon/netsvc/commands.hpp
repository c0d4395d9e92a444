// The subcommands that speak netsvcd's own services (hello, time, words) and `resolve`: each
// turns its parsed arguments into output on stdout or one Failure whose message names what it
// was doing. Stateless; one call at a time (they write to stdout).
#pragma once

#include <cstdint>
#include <string>

#include "netsvc/connector.hpp"
#include "netsvc/exit_codes.hpp"
#include "netsvc/words_view.hpp"

namespace netsvc {

// The shipped config/netsvcd.yaml's ports, since hello and the word finder have no standard
// one and daytime's (13) needs privileges netsvcd's example does without.
inline constexpr std::uint16_t kHelloPort = 8080;
inline constexpr std::uint16_t kTimePort = 8013;
inline constexpr std::uint16_t kWordsPort = 8081;

// The most any answer of hello or time is read into memory: netsvcd's hello message is at most
// 16 MiB.
inline constexpr std::size_t kAnswerLimit = 32 * 1024 * 1024;

Status run_hello(const std::string& target, const ConnectOptions& options);
// rfc868: read four binary bytes and show them as a UTC time, rather than print a line as is.
Status run_time(const std::string& target, bool rfc868, const ConnectOptions& options);

struct WordsView {
  bool json = false;      // the answer's JSON as it came
  bool terminal = false;  // columns grouped by length, `width` wide; one a line otherwise
  std::size_t width = 80;
};
Status run_words(const std::string& target, const WordQuery& query, const WordsView& view,
                 const ConnectOptions& options);

Status run_resolve(const std::string& host);

}  // namespace netsvc
