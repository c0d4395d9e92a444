// Integration tests of logging to the systemd journal: the real netsvcd binary in a mount
// namespace of its own whose /run is a test directory, where a JournalReceiver owns
// /run/systemd/journal/socket and parses every entry netsvcd sends (no journald runs here).
// They need root, for the namespace.
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <csignal>
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

  daemon->signal(SIGTERM);
  CHECK(daemon->wait_exit() == 0);
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
  daemon->signal(SIGTERM);
  CHECK(daemon->wait_exit() == 0);
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
  daemon->signal(SIGTERM);
  CHECK(daemon->wait_exit() == 0);
  CHECK(run.journal.entries().empty());
}

}  // namespace netsvcd::test
