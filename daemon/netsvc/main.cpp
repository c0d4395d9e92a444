// netsvc's entry point: the command line (CLI11), one subcommand run, its Failure printed as
// one line on stderr and turned into the exit code. No exception leaves main.
#include <sys/ioctl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <exception>
#include <iostream>

#include "netsvc/commands.hpp"
#include "netsvc/get.hpp"
#include "netsvc/version.hpp"

namespace {

constexpr const char* kExitCodes = R"(Exit codes (sysexits.h):
  0   success
  64  usage: a bad command line, a bad HOST:PORT, an https:// URL
  65  words: the word finder refused the letters (HTTP 400; its message is shown)
  66  get: the server answered an HTTP status of 400 or more
  68  the host name does not resolve
  69  every address refused the connection or timed out; the word finder is busy (503)
  70  internal error (a bug)
  73  get: the output file cannot be created
  74  writing the output failed
  75  connected, but the server sent nothing for --io-timeout seconds
  76  protocol error: not the expected answer, a truncated body, too many redirects, bad JSON)";

std::size_t terminal_width() {
  winsize size{};
  if (::ioctl(1, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

std::chrono::milliseconds to_duration(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(seconds * 1000)));
}

int run(int argc, char** argv) {
  CLI::App app{
      "netsvc: a client for netsvcd's services (hello, time, the word finder), an "
      "HTTP downloader and a name resolver.",
      "netsvc"};
  app.set_version_flag("--version", std::string("netsvc ") + netsvc::kVersion);
  app.require_subcommand(1);
  app.fallthrough();
  app.footer(kExitCodes);

  double timeout = 5;
  double io_timeout = 30;
  app.add_option("--timeout", timeout, "Seconds each address has to accept the connection")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--io-timeout", io_timeout,
                 "Seconds to wait for the server's next bytes once connected")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  std::string target;
  auto* hello = app.add_subcommand("hello", "Print what a hello service says (default port 8080)");
  hello->add_option("HOST[:PORT]", target, "A name, an IPv4 address or [IPv6]:PORT")->required();

  bool rfc868 = false;
  auto* time_of_day =
      app.add_subcommand("time", "Print the time a time service tells (default port 8013)");
  time_of_day->add_option("HOST[:PORT]", target, "A name, an IPv4 address or [IPv6]:PORT")
      ->required();
  time_of_day->add_flag("--rfc868", rfc868,
                        "The service speaks RFC 868 (4 binary bytes): show them as a UTC time");

  netsvc::WordQuery query;
  netsvc::WordsView view;
  unsigned min_length = 0;
  std::string sort;
  auto* words = app.add_subcommand(
      "words", "Print the words the word finder makes of LETTERS (default port 8081)");
  words->add_option("HOST[:PORT]", target, "A name, an IPv4 address or [IPv6]:PORT")->required();
  words->add_option("LETTERS", query.letters, "The rack: letters, '?' or a space for a blank")
      ->required();
  auto* min_option =
      words->add_option("--min-length", min_length, "Only words of at least N letters")
          ->check(CLI::Range(1u, 64u));
  words->add_option("--sort", sort, "score: best Scrabble score first, with each word's score")
      ->check(CLI::IsMember({"score", "length"}));
  words->add_flag("--json", view.json, "Print the word finder's JSON answer as it is");

  std::string url;
  std::string output;
  auto* get = app.add_subcommand("get", "Download an http:// URL into a file, as wget does");
  get->add_option("URL", url, "An http:// URL")->required();
  auto* output_option = get->add_option(
      "-o,--output", output, "Save as FILE ('-': standard output) instead of the URL's name");

  std::string host;
  auto* resolve =
      app.add_subcommand("resolve", "Print a name's canonical name and all its IP addresses");
  resolve->add_option("HOST", host, "A host name")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) return app.exit(error);  // --help, --version
    std::cerr << "netsvc: " << error.what() << " (netsvc --help explains the usage)\n";
    return netsvc::kExitUsage;
  }

  const netsvc::ConnectOptions options{to_duration(timeout), to_duration(io_timeout)};
  std::string what;
  netsvc::Status status = netsvc::done();
  if (app.got_subcommand(hello)) {
    what = "hello " + target;
    status = netsvc::run_hello(target, options);
  } else if (app.got_subcommand(time_of_day)) {
    what = "time " + target;
    status = netsvc::run_time(target, rfc868, options);
  } else if (app.got_subcommand(words)) {
    what = "words " + target;
    if (min_option->count() > 0) query.min_length = min_length;
    if (!sort.empty()) query.sort = sort;
    view.terminal = ::isatty(1) == 1;
    view.width = terminal_width();
    status = netsvc::run_words(target, query, view, options);
  } else if (app.got_subcommand(get)) {
    what = "get " + url;
    status = netsvc::run_get(url, output_option->count() > 0 ? std::optional(output) : std::nullopt,
                             options);
  } else if (app.got_subcommand(resolve)) {
    what = "resolve " + host;
    status = netsvc::run_resolve(host);
  }
  if (status) return netsvc::kExitOk;
  std::cerr << "netsvc: " << what << ": " << status.failure().message << '\n';
  return status.failure().exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "netsvc: internal error: " << error.what() << '\n';
  } catch (...) {
    std::cerr << "netsvc: internal error\n";
  }
  return netsvc::kExitSoftware;
}
