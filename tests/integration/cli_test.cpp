// Integration tests of netsvcd's command line: exit codes and what it prints.
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "support/client.hpp"
#include "support/daemon_process.hpp"
#include "support/hello_config.hpp"
#include "support/ports.hpp"
#include "support/temp_dir.hpp"
#include "version.hpp"

namespace netsvcd::test {

TEST_CASE("netsvcd --version prints the version and exits 0", "[cli]") {
  const auto result = run_netsvcd({"--version"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == fmt::format("netsvcd {}\n", kVersion));
}

TEST_CASE("netsvcd --help describes the options and exits 0", "[cli]") {
  const auto result = run_netsvcd({"--help"});
  CHECK(result.exit_code == 0);
  for (const char* option : {"--config", "--check-config", "--log-level", "--version"}) {
    CHECK(result.out.find(option) != std::string::npos);
  }
  CHECK(result.out.find("/etc/netsvcd/netsvcd.yaml") != std::string::npos);
}

TEST_CASE("bad command lines exit 2 with a message", "[cli]") {
  CHECK(run_netsvcd({"--no-such-option"}).exit_code == 2);
  const auto bad_level = run_netsvcd({"--log-level", "loud"});
  CHECK(bad_level.exit_code == 2);
  CHECK(bad_level.err.find("loud") != std::string::npos);
}

TEST_CASE("netsvcd --check-config exits 0 on a valid file and 1 with every error on an invalid one",
          "[cli][config]") {
  TempDir dir;
  const auto good = dir.write("good.yaml", hello_config(8080));
  const auto ok = run_netsvcd({"--check-config", "-c", good.string()});
  CHECK(ok.exit_code == 0);
  CHECK(ok.out == good.string() + ": ok (1 listener(s))\n");
  CHECK(ok.err.empty());

  const auto bad = dir.write("bad.yaml", R"(threads: 0
listeners:
  - name: hello
    kind: tiem
    listen: ["127.0.0.1:99999"]
)");
  const auto failed = run_netsvcd({"--check-config", "--config", bad.string()});
  CHECK(failed.exit_code == 1);
  CHECK(failed.out.empty());
  const auto file = bad.string();
  CHECK(failed.err ==
        file + ":1:10: threads: expected a whole number from 1 to 1024, got \"0\"\n" + file +
            ":4:11: listeners[0].kind: unknown kind \"tiem\" (expected hello, time, wordfinder, "
            "metrics)\n" +
            file + ":5:14: listeners[0].listen[0]: bad port \"99999\" (expected 1 to 65535)\n" +
            file + ": 3 error(s)\n");
}

TEST_CASE("netsvcd --check-config on a missing file exits 1 and says why", "[cli][config]") {
  const auto result = run_netsvcd({"--check-config", "-c", "/nonexistent/netsvcd.yaml"});
  CHECK(result.exit_code == 1);
  CHECK(result.err ==
        "/nonexistent/netsvcd.yaml: cannot read: No such file or directory\n"
        "/nonexistent/netsvcd.yaml: 1 error(s)\n");
}

TEST_CASE("starting on an invalid config exits 1 and logs every error", "[cli][config]") {
  TempDir dir;
  const auto bad = dir.write("netsvcd.yaml", R"(listeners:
  - name: hello
    kind: hello
    listen: ["127.0.0.1"]
    mesage: hi
)");
  const auto result = run_netsvcd({"-c", bad.string()});
  CHECK(result.exit_code == 1);
  CHECK(result.err.find(bad.string() +
                        ":4:14: listeners[0].listen[0]: missing :port; expected host:port") !=
        std::string::npos);
  CHECK(result.err.find(bad.string() +
                        ":5:5: listeners[0].mesage: unknown key: did you mean \"message\"?") !=
        std::string::npos);
  CHECK(result.err.find("2 error(s); not starting") != std::string::npos);
}

TEST_CASE("netsvcd --log-level wins over the file's log_level", "[cli]") {
  TempDir dir;
  const auto port = free_port();
  const auto config = dir.write("netsvcd.yaml", "log_level: error\n" + hello_config(port));
  // The file says error, so the info "ready" line appears only with the override.
  DaemonProcess overridden({"-c", config.string(), "--log-level", "info"});
  CHECK(overridden.wait_for_log(" ready: "));
  CHECK(overridden.stop() == 0);
  CHECK(overridden.count_log("stopped after serving") == 1);

  DaemonProcess quiet({"-c", config.string()});
  // No line to wait for at level error: the port answering shows it is up.
  REQUIRE(wait_for_port("127.0.0.1", port));
  CHECK(quiet.stop() == 0);
  CHECK(quiet.err().empty());
}

}  // namespace netsvcd::test
