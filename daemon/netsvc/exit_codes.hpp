// netsvc's exit codes (sysexits.h values) and the one shape a failure takes across its modules:
// Failure{exit_code, message}, carried by Outcome<T>. Plain values; safe to copy between
// threads. main() prints a Failure's message as one line and exits with its code.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace netsvc {

// Spelled out rather than taken from <sysexits.h>: the numbers are the documented interface
// (man page, --help, README), so they live where a reader of the code can see them.
enum ExitCode : int {
  kExitOk = 0,
  kExitUsage = 64,        // EX_USAGE: bad command line, bad HOST:PORT, an https:// URL
  kExitDataErr = 65,      // EX_DATAERR: the word finder refused the letters (HTTP 400)
  kExitNoInput = 66,      // EX_NOINPUT: `get` got an HTTP status >= 400
  kExitNoHost = 68,       // EX_NOHOST: the name does not resolve
  kExitUnavailable = 69,  // EX_UNAVAILABLE: every address refused or timed out; HTTP 503
  kExitSoftware = 70,     // EX_SOFTWARE: a bug (an exception main did not expect)
  kExitCantCreate = 73,   // EX_CANTCREAT: the output file cannot be created
  kExitIoErr = 74,        // EX_IOERR: writing the output failed
  kExitTempFail = 75,     // EX_TEMPFAIL: connected, but the server went silent (--io-timeout)
  kExitProtocol = 76,     // EX_PROTOCOL: garbage, truncated answer, too many redirects, bad JSON
};

struct Failure {
  int exit_code;
  std::string message;  // "<what>: <why>", without the "netsvc: " prefix
};

// A value or the Failure that prevented it.
template <typename T>
class Outcome {
 public:
  Outcome(T value) : state_(std::move(value)) {}  // NOLINT: implicit on purpose, like expected
  Outcome(Failure failure) : state_(std::move(failure)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(state_); }
  const T& value() const { return std::get<0>(state_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Failure& failure() const { return std::get<1>(state_); }

 private:
  std::variant<T, Failure> state_;
};

// For operations that only succeed or fail.
struct Done {};
using Status = Outcome<Done>;
inline Status done() {
  return Done{};
}

}  // namespace netsvc
