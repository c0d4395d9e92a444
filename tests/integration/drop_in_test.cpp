// Integration tests of drop-in files (`include: conf.d/*.yaml`) with the real netsvcd binary: a
// file dropped into conf.d serves after a reload, a broken one is refused with its own
// file:line:column while everything keeps serving, and --check-config and start-up read the
// whole set.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <string>

#include "support/client.hpp"
#include "support/daemon_process.hpp"
#include "support/hello_config.hpp"
#include "support/ports.hpp"
#include "support/temp_dir.hpp"

namespace netsvcd::test {
namespace {

constexpr std::string_view kRefused = "reload refused; still serving the previous configuration";

// A main file that includes conf.d/*.yaml and serves hello on `port`.
std::string main_config(std::uint16_t port) {
  return "include: conf.d/*.yaml\n" + hello_config(port);
}

// A drop-in with one hello listener called `name` on 127.0.0.1:`port` (the port at line 4,
// column 13).
std::string drop_in(std::string_view name, std::uint16_t port) {
  return fmt::format(R"(listeners:
  - name: {}
    kind: hello
    listen: 127.0.0.1:{}
)",
                     name, port);
}

}  // namespace

TEST_CASE("drop-ins: a file dropped into conf.d serves after SIGHUP, a broken one is refused",
          "[dropin][reload]") {
  const auto port = free_port();
  const auto added = free_port();
  TempDir dir;
  std::filesystem::create_directory(dir.path() / "conf.d");
  const auto control = dir.path() / "control";
  const auto daemon =
      start_netsvcd(dir, main_config(port), {.extra_args = {"--control-socket", control.string()}});
  const auto file = (dir.path() / "netsvcd.yaml").string();
  // With no drop-in, the ready line is as it always was.
  CHECK(daemon->count_log("drop-in") == 0);
  REQUIRE(refused("127.0.0.1", added));

  const auto greeting = dir.write("conf.d/50-greeting.yaml", drop_in("greeting", added)).string();
  daemon->signal(SIGHUP);
  REQUIRE(daemon->wait_for_log(
      fmt::format("reloaded {} + 1 drop-in ({}): 2 listener(s) on 2 address(es)", file, greeting)));
  CHECK(fetch("127.0.0.1", added) == "Hello World\n");
  CHECK(fetch("127.0.0.1", port) == "Hello World\n");

  SECTION("a broken drop-in: the reload is refused with its file:line:column, all keep serving") {
    const auto broken = dir.write("conf.d/60-broken.yaml", drop_in("broken", 0)).string();
    const auto error = broken + ":4:13: listeners[0].listen: bad port \"0\" (expected 1 to 65535)";
    SECTION("on SIGHUP") {
      daemon->signal(SIGHUP);
      REQUIRE(daemon->wait_for_log(kRefused));
    }
    SECTION("with --reload, which prints the errors as `systemctl reload` does") {
      const auto result = run_netsvcd({"--reload", "--control-socket", control.string()});
      CHECK(result.exit_code == 1);
      CHECK(result.err == error + "\n" + file + ": 1 error(s)\n" + std::string(kRefused) + "\n");
    }
    CHECK(daemon->count_log("error " + error) == 1);
    CHECK(fetch("127.0.0.1", added) == "Hello World\n");
    CHECK(fetch("127.0.0.1", port) == "Hello World\n");
    CHECK(daemon->count_log("reloaded ") == 1);
  }
  SECTION("a drop-in removed: its listener stops at the next reload") {
    std::filesystem::remove(greeting);
    const auto result = run_netsvcd({"--reload", "--control-socket", control.string()});
    CHECK(result.exit_code == 0);
    CHECK(result.out == "reloaded " + file + ": 1 listener(s) on 1 address(es)\n");
    CHECK(refused("127.0.0.1", added));
    CHECK(fetch("127.0.0.1", port) == "Hello World\n");
  }
}

TEST_CASE("drop-ins: start-up and --check-config read the whole set", "[dropin][cli][config]") {
  const auto port = free_port();
  const auto added = free_port();
  TempDir dir;
  std::filesystem::create_directory(dir.path() / "conf.d");
  const auto file = dir.write("netsvcd.yaml", main_config(port)).string();
  const auto greeting = dir.write("conf.d/greeting.yaml", drop_in("greeting", added)).string();
  const auto described = file + " + 1 drop-in (" + greeting + ")";

  const auto ok = run_netsvcd({"--check-config", "--config", file});
  CHECK(ok.exit_code == 0);
  CHECK(ok.out == described + ": ok (2 listener(s))\n");
  CHECK(ok.err.empty());

  SECTION("start-up serves the drop-in's listener and names the files read") {
    const auto daemon = start_netsvcd(dir, main_config(port));
    CHECK(daemon->count_log("thread(s); config " + described) == 1);
    CHECK(fetch("127.0.0.1", added) == "Hello World\n");
  }
  SECTION("errors in drop-ins, each naming its own file, after the main file's") {
    dir.write("netsvcd.yaml", "threads: 0\n" + main_config(port));
    const auto clash = dir.write("conf.d/other.yaml", drop_in("greeting", port)).string();
    const auto failed = run_netsvcd({"--check-config", "--config", file});
    CHECK(failed.exit_code == 1);
    CHECK(failed.out.empty());
    CHECK(failed.err ==
          file + ":1:10: threads: expected a whole number from 1 to 1024, got \"0\"\n" + clash +
              ":2:11: listeners[0].name: duplicate listener name \"greeting\" (first used at " +
              greeting + ":2:11)\n" +
              fmt::format(
                  "{}:4:13: listeners[0].listen: \"127.0.0.1:{}\" of listener greeting cannot be "
                  "bound beside \"127.0.0.1:{}\" of listener hello ({}:6:14, "
                  "listeners[0].listen[0]): the same address and port twice\n",
                  clash, port, port, file) +
              file + ": 3 error(s)\n");
  }
}

}  // namespace netsvcd::test
