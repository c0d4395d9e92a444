// Integration tests of logging to the systemd journal: the real netsvcd binary in a mount
// namespace of its own whose /run is a test directory, where a JournalReceiver owns
// /run/systemd/journal/socket and parses every entry netsvcd sends (no journald runs here).
// They need root, for the namespace.
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/client.hpp"
#include "support/daemon_process.hpp"
#include "support/journal_receiver.hpp"
#include "support/ports.hpp"
#include "support/temp_dir.hpp"
#include "version.hpp"

namespace netsvcd::test {
namespace {

using Strings = std::vector<std::string>;

// A mount namespace needs CAP_SYS_ADMIN.
bool can_run() {
  if (::geteuid() == 0) return true;
  WARN("not root: a private mount namespace for the journal's socket needs root; nothing tested");
  return false;
}

// Starts netsvcd at debug level on `config`, in a mount namespace where `run_directory` is /run.
std::unique_ptr<DaemonProcess> start_with_run(const std::filesystem::path& run_directory,
                                              const std::filesystem::path& config,
                                              LaunchOptions options = {}) {
  std::filesystem::create_directories(run_directory);
  options.run_directory = run_directory;
  return std::make_unique<DaemonProcess>(
      std::vector<std::string>{"--config", config.string(), "--log-level", "debug"}, options);
}

// A test directory whose run/ holds the journal's socket, for netsvcd to see as /run.
struct JournalRun {
  TempDir dir;
  std::uint16_t port = free_port();
  JournalReceiver journal{dir.path() / "run"};

  // A word-finder listener on 127.0.0.1:port (its requests log LISTENER and PEER), after the
  // `top_level` lines; returns the config's path.
  std::filesystem::path write_words_config(std::string_view top_level = {}) const {
    dir.write("words.txt", "bread\nbeard\nbed\n");
    return dir.write("netsvcd.yaml", fmt::format(R"({}threads: 1
listeners:
  - name: words
    kind: wordfinder
    listen: ["127.0.0.1:{}"]
    dictionary: words.txt
)",
                                                 top_level, port));
  }

  std::unique_ptr<DaemonProcess> start(const std::filesystem::path& config,
                                       LaunchOptions options = {}) const {
    return start_with_run(dir.path() / "run", config, std::move(options));
  }
};

LaunchOptions with_journal_stream() {
  LaunchOptions options;
  options.stderr_is_journal_stream = true;
  return options;
}

// Sends one GET with Connection: close and reads the answer; returns the client's address as
// netsvcd logs it ("127.0.0.1:port").
std::string get(std::uint16_t port, std::string_view target) {
  Connection connection("127.0.0.1", port);
  sockaddr_storage local{};
  socklen_t length = sizeof(local);
  REQUIRE(::getsockname(connection.fd(), reinterpret_cast<sockaddr*>(&local), &length) == 0);
  const auto client_port = ntohs(reinterpret_cast<const sockaddr_in&>(local).sin_port);
  connection.send(
      fmt::format("GET {} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n", target));
  CHECK(connection.read_to_end().starts_with("HTTP/1.1 200 "));
  return fmt::format("127.0.0.1:{}", client_port);
}

}  // namespace

TEST_CASE("with JOURNAL_STREAM naming its stderr, netsvcd logs to the journal with fields",
          "[journal]") {
  if (!can_run()) return;
  JournalRun run;
  const auto daemon = run.start(run.write_words_config(), with_journal_stream());

  const auto listening = run.journal.wait_for("listener words (wordfinder) listening on");
  REQUIRE(listening);
  CHECK(listening->message().starts_with(
      fmt::format("listener words (wordfinder) listening on 127.0.0.1:{}; dictionary ", run.port)));
  CHECK(listening->values("PRIORITY") == Strings{"6"});
  CHECK(listening->values("LISTENER") == Strings{"words"});

  const auto ready = run.journal.wait_for(" ready: ");
  REQUIRE(ready);
  CHECK(ready->message() ==
        fmt::format("netsvcd {} ready: 1 listener(s) on 1 address(es), 1 thread(s)", kVersion));
  CHECK(ready->values("PRIORITY") == Strings{"6"});
  CHECK(ready->values("SYSLOG_IDENTIFIER") == Strings{"netsvcd"});
  CHECK(ready->values("LISTENER").empty());
  CHECK(ready->values("PEER").empty());

  // A request logs at debug with the listener and the client as fields: journalctl
  // LISTENER=words finds it.
  const std::string peer = get(run.port, "/bread");
  const auto request = run.journal.wait_for("GET /bread 200");
  REQUIRE(request);
  CHECK(request->message() == "words: " + peer + ": GET /bread 200");
  CHECK(request->values("PRIORITY") == Strings{"7"});
  CHECK(request->values("LISTENER") == Strings{"words"});
  CHECK(request->values("PEER") == Strings{peer});
  CHECK(request->values("CONFIG_FILE").empty());
  CHECK(request->values("CONFIG_LINE").empty());

  CHECK(daemon->stop() == 0);
  const auto stopped = run.journal.wait_for("stopped after serving 1 connection(s)");
  REQUIRE(stopped);
  CHECK(stopped->values("PRIORITY") == Strings{"6"});
  // Every entry has MESSAGE, PRIORITY and SYSLOG_IDENTIFIER=netsvcd once each, and the journal
  // had every line: nothing went to stderr.
  for (const JournalEntry& entry : run.journal.entries()) {
    INFO("MESSAGE=" << entry.message());
    CHECK(entry.values("MESSAGE").size() == 1);
    CHECK(entry.values("PRIORITY").size() == 1);
    CHECK(entry.values("SYSLOG_IDENTIFIER") == Strings{"netsvcd"});
  }
  CHECK(daemon->err().empty());
}

TEST_CASE("without JOURNAL_STREAM netsvcd logs to stderr, not to the journal", "[journal]") {
  if (!can_run()) return;
  JournalRun run;
  const auto daemon = run.start(run.write_words_config());
  REQUIRE(daemon->wait_for_log(" ready: "));
  CHECK(daemon->count_log(" info listener words (wordfinder) listening on ") == 1);
  CHECK(daemon->stop() == 0);
  CHECK(daemon->count_log(" info stopped after serving 0 connection(s)") == 1);
  // Once netsvcd has exited, whatever it sent is queued: there is nothing.
  CHECK(run.journal.entries().empty());
}

TEST_CASE("JOURNAL_STREAM naming another file than stderr is not the journal", "[journal]") {
  if (!can_run()) return;
  // What systemd leaves behind for a program whose stderr was redirected: the variable still
  // names the journal's stream, stderr is something else.
  struct stat null_device {};
  REQUIRE(::stat("/dev/null", &null_device) == 0);
  LaunchOptions options;
  options.environment = {
      fmt::format("JOURNAL_STREAM={}:{}", null_device.st_dev, null_device.st_ino)};
  JournalRun run;
  const auto daemon = run.start(run.write_words_config(), options);
  REQUIRE(daemon->wait_for_log(" ready: "));
  CHECK(daemon->stop() == 0);
  CHECK(run.journal.entries().empty());
}

// The tests below need the daemon to apply log_target (set_log_target) and to log config errors
// with their fields (log_config_errors).

TEST_CASE("log_target: journal sends the lines to the journal even without JOURNAL_STREAM",
          "[journal]") {
  if (!can_run()) return;
  JournalRun run;
  const auto daemon = run.start(run.write_words_config("log_target: journal\n"));
  const auto ready = run.journal.wait_for(" ready: ");
  REQUIRE(ready);
  CHECK(ready->values("PRIORITY") == Strings{"6"});
  CHECK(ready->values("SYSLOG_IDENTIFIER") == Strings{"netsvcd"});
  CHECK(run.journal.wait_for("listener words (wordfinder) listening on"));
  CHECK(daemon->stop() == 0);
  CHECK(run.journal.wait_for("stopped after serving 0 connection(s)"));
  // The console is told once where the lines went, and gets nothing more.
  const std::string err = daemon->err();
  CHECK(
      err.ends_with(" info logging to the systemd journal from now on (journalctl -t netsvcd)\n"));
  CHECK(std::count(err.begin(), err.end(), '\n') == 1);
}

TEST_CASE("log_target: console keeps the lines on stderr even when stderr is the journal",
          "[journal]") {
  if (!can_run()) return;
  JournalRun run;
  const auto daemon =
      run.start(run.write_words_config("log_target: console\n"), with_journal_stream());
  REQUIRE(daemon->wait_for_log(" info netsvcd "));
  CHECK(daemon->stop() == 0);
  CHECK(daemon->count_log(" info stopped after serving 0 connection(s)") == 1);
  // Nothing was logged before the config was read, so the journal had nothing at all.
  CHECK(run.journal.entries().empty());
}

TEST_CASE("log_target: journal without a journal running warns and logs to stderr", "[journal]") {
  if (!can_run()) return;
  JournalRun run;
  // A /run without the journal's socket: no journald.
  const auto daemon =
      start_with_run(run.dir.path() / "empty-run", run.write_words_config("log_target: journal\n"));
  REQUIRE(daemon->wait_for_log(" ready: "));
  CHECK(daemon->count_log(" warning log_target: journal, but the journal is not running (no "
                          "/run/systemd/journal/socket); logging to the console") == 1);
  CHECK(daemon->stop() == 0);
  CHECK(daemon->count_log(" info stopped after serving 0 connection(s)") == 1);
}

TEST_CASE("config errors reach the journal at PRIORITY=3 with CONFIG_FILE and CONFIG_LINE",
          "[journal]") {
  if (!can_run()) return;
  JournalRun run;
  // A newline in the file's name puts one in MESSAGE and CONFIG_FILE, which the native protocol
  // sends length-prefixed.
  const auto config = run.dir.write("bad\nname.yaml", "threads: 0\nlisteners: []\n");
  const std::string file = config.string();
  const auto daemon = run.start(config, with_journal_stream());
  CHECK(daemon->wait_exit() == 1);
  const auto& entries = run.journal.entries();
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].message() ==
        file + ":1:10: threads: expected a whole number from 1 to 1024, got \"0\"");
  CHECK(entries[0].values("PRIORITY") == Strings{"3"});
  CHECK(entries[0].values("CONFIG_FILE") == Strings{file});
  CHECK(entries[0].values("CONFIG_LINE") == Strings{"1"});
  CHECK(entries[1].message() ==
        file + ":2:12: listeners: expected a list of one or more listeners, got an empty list");
  CHECK(entries[1].values("PRIORITY") == Strings{"3"});
  CHECK(entries[1].values("CONFIG_FILE") == Strings{file});
  CHECK(entries[1].values("CONFIG_LINE") == Strings{"2"});
  CHECK(entries[2].message() == file + ": 2 error(s); not starting");
  CHECK(entries[2].values("PRIORITY") == Strings{"3"});
  for (const JournalEntry& entry : entries)
    CHECK(entry.values("SYSLOG_IDENTIFIER") == Strings{"netsvcd"});
  CHECK(daemon->err().empty());
}

TEST_CASE("a config file that cannot be read reaches the journal with CONFIG_FILE and no line",
          "[journal]") {
  if (!can_run()) return;
  JournalRun run;
  const std::string file = (run.dir.path() / "missing.yaml").string();
  const auto daemon = run.start(file, with_journal_stream());
  CHECK(daemon->wait_exit() == 1);
  const auto& entries = run.journal.entries();
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].message() == file + ": cannot read: No such file or directory");
  CHECK(entries[0].values("PRIORITY") == Strings{"3"});
  CHECK(entries[0].values("CONFIG_FILE") == Strings{file});
  CHECK(entries[0].values("CONFIG_LINE").empty());
}

}  // namespace netsvcd::test
