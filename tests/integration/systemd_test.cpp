// netsvcd under systemd's protocols, with systemd's side played by real pieces: a NOTIFY_SOCKET
// datagram socket the test owns (READY, RELOADING, STOPPING, STATUS, WATCHDOG, FDSTORE), sockets
// passed as systemd passes them, and systemd's own systemd-socket-activate.
#include <signal.h>
#include <time.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <thread>

#include "support/client.hpp"
#include "support/daemon_process.hpp"
#include "support/hello_config.hpp"
#include "support/notify_socket.hpp"
#include "support/ports.hpp"
#include "support/temp_dir.hpp"

using namespace netsvcd::test;

namespace {

const std::set<std::string> kStates{"READY", "RELOADING", "STOPPING"};

std::uint64_t monotonic_usec() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000u +
         static_cast<std::uint64_t>(now.tv_nsec) / 1'000u;
}

// The next message that changes the daemon's state; every message on the way is checked to be
// a plain STATUS update or an fd store operation, never a WATCHDOG ping (the watchdog is off).
NotifyMessage next_state(NotifySocket& notify) {
  for (;;) {
    auto message = notify.next();
    REQUIRE(message);
    CHECK_FALSE(message->has("WATCHDOG"));
    for (const auto& [key, value] : message->fields) {
      if (kStates.contains(key)) return std::move(*message);
    }
  }
}

std::string state_of(const NotifyMessage& message) {
  for (const auto& state : kStates)
    if (message.has(state)) return state;
  return {};
}

std::unique_ptr<DaemonProcess> launch(const TempDir& dir, std::string_view yaml,
                                      std::vector<std::string> environment,
                                      std::vector<PassedFd> passed = {}) {
  const auto config = dir.write("netsvcd.yaml", yaml);
  return std::make_unique<DaemonProcess>(
      std::vector<std::string>{"--config", config.string(), "--log-level", "debug"},
      LaunchOptions{.program = {},
                    .max_open_files = std::nullopt,
                    .drop_privileges = false,
                    .environment = std::move(environment),
                    .passed_fds = std::move(passed)});
}

// What the daemon stored in the fd store until its READY: listener name ► the addresses of the
// sockets stored under it, with every FDSTOREREMOVE undoing what came before.
struct StoreContents {
  std::map<std::string, std::set<std::string>> addresses;
  std::map<std::string, std::vector<OwnedFd>> fds;
  std::vector<std::string> removed;
};

StoreContents read_fd_store_until_ready(NotifySocket& notify) {
  StoreContents store;
  for (;;) {
    auto message = notify.next();
    REQUIRE(message);
    const auto name = message->get("FDNAME");
    if (message->has("FDSTOREREMOVE")) {
      store.removed.push_back(name);
      store.addresses.erase(name);
      store.fds.erase(name);
    }
    if (message->has("FDSTORE")) {
      for (auto& fd : message->fds) {
        store.addresses[name].insert(bound_address(fd.get()));
        store.fds[name].push_back(std::move(fd));
      }
    }
    if (message->has("READY")) return store;
  }
}

std::string two_listeners(std::uint16_t hello_port, std::uint16_t time_port) {
  return fmt::format(R"(listeners:
  - name: hello
    kind: hello
    listen: ["127.0.0.1:{0}", "[::1]:{0}"]
  - name: daytime
    kind: time
    listen: ["127.0.0.1:{1}"]
    format: "%Y"
)",
                     hello_port, time_port);
}

std::string current_year() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  return std::to_string(utc.tm_year + 1900) + "\n";
}

}  // namespace

TEST_CASE(
    "sd_notify: READY once the ports accept, RELOADING and READY around a reload, "
    "STOPPING on SIGTERM",
    "[systemd][notify]") {
  TempDir dir;
  NotifySocket notify(dir);
  const auto port = free_port();
  const auto daemon = launch(dir, hello_config(port), {notify.environment()});

  const auto ready = next_state(notify);
  REQUIRE(state_of(ready) == "READY");
  CHECK(ready.get("READY") == "1");
  // READY=1 promises a listening port: connect at once, with no wait.
  CHECK(fetch("127.0.0.1", port) == "Hello World\n");
  CHECK(ready.get("STATUS").starts_with("1 listener(s) on 1 address(es); "));

  const auto before = monotonic_usec();
  daemon->signal(SIGHUP);
  const auto reloading = next_state(notify);
  const auto after = monotonic_usec();
  REQUIRE(state_of(reloading) == "RELOADING");
  CHECK(reloading.get("RELOADING") == "1");
  const auto stamp = std::stoull(reloading.get("MONOTONIC_USEC"));
  CHECK(stamp >= before);
  CHECK(stamp <= after);

  const auto reloaded = next_state(notify);
  REQUIRE(state_of(reloaded) == "READY");
  CHECK(reloaded.get("STATUS").find("; last reload ok at ") != std::string::npos);

  daemon->signal(SIGTERM);
  const auto stopping = next_state(notify);
  CHECK(state_of(stopping) == "STOPPING");
  CHECK(stopping.get("STOPPING") == "1");
  CHECK(daemon->wait_exit() == 0);
}

TEST_CASE("sd_notify: a refused reload still ends with READY, and STATUS says why",
          "[systemd][notify]") {
  TempDir dir;
  NotifySocket notify(dir);
  const auto port = free_port();
  const auto daemon = launch(dir, hello_config(port), {notify.environment()});
  REQUIRE(state_of(next_state(notify)) == "READY");

  const auto config = dir.write("netsvcd.yaml", hello_config(port, "    mesage: typo"));
  daemon->signal(SIGHUP);
  REQUIRE(state_of(next_state(notify)) == "RELOADING");
  const auto ready = next_state(notify);
  REQUIRE(state_of(ready) == "READY");
  const auto status = ready.get("STATUS");
  INFO(status);
  CHECK(status.find("; last reload failed at ") != std::string::npos);
  CHECK(status.find(config.string() + ":5:5: listeners[0].mesage: unknown key") !=
        std::string::npos);
  CHECK(fetch("127.0.0.1", port) == "Hello World\n");
}

TEST_CASE("sd_notify: WATCHDOG=1 every half WATCHDOG_USEC, from the pool", "[systemd][notify]") {
  TempDir dir;
  NotifySocket notify(dir);
  const auto port = free_port();
  const auto daemon =
      launch(dir, hello_config(port), {notify.environment(), "WATCHDOG_USEC=400000"});
  // Six pings are five intervals of 200 ms: 1 s, give or take a loaded machine's scheduling.
  std::vector<std::chrono::steady_clock::time_point> pings;
  while (pings.size() < 6) {
    const auto ping = notify.next_with("WATCHDOG", 5s);
    REQUIRE(ping);
    CHECK(ping->get("WATCHDOG") == "1");
    pings.push_back(std::chrono::steady_clock::now());
  }
  const auto span = pings.back() - pings.front();
  CHECK(span >= 800ms);
  CHECK(span <= 2s);
}

TEST_CASE("the fd store: each listener's sockets under FDNAME=<listener>, kept in step on reload",
          "[systemd][fdstore]") {
  TempDir dir;
  NotifySocket notify(dir);
  const auto hello_port = free_port();
  const auto time_port = free_port();
  const auto daemon = launch(dir, two_listeners(hello_port, time_port), {notify.environment()});

  const auto stored = read_fd_store_until_ready(notify);
  const auto p = [](std::uint16_t port) { return std::to_string(port); };
  CHECK(stored.addresses == std::map<std::string, std::set<std::string>>{
                                {"hello", {"127.0.0.1:" + p(hello_port), "[::1]:" + p(hello_port)}},
                                {"daytime", {"127.0.0.1:" + p(time_port)}}});

  // Reload: daytime goes, hello gains a port. Only what changed is touched.
  const auto extra_port = free_port();
  dir.write("netsvcd.yaml",
            hello_config(hello_port)
                .replace(hello_config(hello_port).find("\"127.0.0.1:"), 0,
                         fmt::format("\"127.0.0.1:{}\", \"[::1]:{}\", ", extra_port, hello_port)));
  daemon->signal(SIGHUP);
  REQUIRE(daemon->wait_for_log("reloaded "));
  auto after = read_fd_store_until_ready(notify);
  CHECK(std::set<std::string>(after.removed.begin(), after.removed.end()) ==
        std::set<std::string>{"hello", "daytime"});
  CHECK(after.addresses == std::map<std::string, std::set<std::string>>{
                               {"hello",
                                {"127.0.0.1:" + p(extra_port), "[::1]:" + p(hello_port),
                                 "127.0.0.1:" + p(hello_port)}}});
}

TEST_CASE("a restart through the fd store refuses no connection", "[systemd][fdstore]") {
  TempDir dir;
  NotifySocket notify(dir);
  const auto port = free_port();
  auto first = launch(dir, hello_config(port), {notify.environment()});
  auto stored = read_fd_store_until_ready(notify);
  REQUIRE(stored.fds["hello"].size() == 1);
  const int socket = stored.fds["hello"].front().get();

  // A client loops against the port across the whole restart, bounded in count and time.
  std::atomic<bool> second_answered = false;
  std::atomic<int> served = 0;
  std::atomic<int> failed = 0;
  std::thread client([&] {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    for (int i = 0; i < 100'000 && !second_answered && std::chrono::steady_clock::now() < deadline;
         ++i) {
      try {
        const auto answer = fetch("127.0.0.1", port, {}, 10s);
        if (answer == "Hello again\n")
          second_answered = true;
        else if (answer != "Hello World\n")
          ++failed;
        ++served;
      } catch (const std::exception&) {
        ++failed;
      }
    }
  });
  while (served < 20 && failed == 0)
    std::this_thread::yield();

  CHECK(first->stop() == 0);
  // As systemd would after a restart: the stored socket, and the same one again as if from a
  // .socket unit too; the duplicate is dropped without a word.
  const auto second =
      launch(dir, hello_config(port, "    message: Hello again"), {notify.environment()},
             {{socket, "hello"}, {socket, "netsvcd.socket"}});
  REQUIRE(second->wait_for_log(" ready: "));
  // The second daemon stores its socket again, and forgets the name no listener has.
  const auto restored = read_fd_store_until_ready(notify);
  CHECK(restored.addresses == std::map<std::string, std::set<std::string>>{
                                  {"hello", {"127.0.0.1:" + std::to_string(port)}}});
  CHECK(std::ranges::count(restored.removed, "netsvcd.socket") == 1);
  client.join();
  CHECK(second_answered);
  CHECK(failed == 0);
  CHECK(second->count_log("sockets passed by systemd: 127.0.0.1:" + std::to_string(port)) == 1);
  CHECK(second->count_log("; closed") == 0);
  CHECK(second->stop() == 0);
}

TEST_CASE(
    "systemd-socket-activate: the first connection starts netsvcd, which adopts the "
    "passed sockets by address, IPv4 and IPv6, and binds the rest",
    "[systemd][activation]") {
  TempDir dir;
  const auto hello_port = free_port();
  const auto time_port = free_port();
  const auto config = dir.write("netsvcd.yaml", two_listeners(hello_port, time_port));
  const auto p = std::to_string(hello_port);
  DaemonProcess activator(
      {"-l", "127.0.0.1:" + p, "-l", "[::1]:" + p, netsvcd_binary(), "--config", config.string()},
      {.program = "/usr/bin/systemd-socket-activate"});
  REQUIRE(activator.wait_for_log("Listening on [::1]:" + p));

  // netsvcd does not run yet: this connection waits in the backlog, then is served by it.
  CHECK(fetch("127.0.0.1", hello_port, {}, 10s) == "Hello World\n");
  REQUIRE(activator.wait_for_log(" ready: "));
  CHECK(activator.count_log("sockets passed by systemd: 127.0.0.1:" + p + " (unknown), [::1]:" + p +
                            " (unknown)") == 1);
  CHECK(fetch("::1", hello_port) == "Hello World\n");
  CHECK(fetch("127.0.0.1", time_port) == current_year());  // bound by netsvcd itself
  CHECK(activator.stop() == 0);
}

TEST_CASE(
    "systemd-socket-activate --fdname: a socket named for a listener is that listener's, and "
    "sockets no listener wants are closed with a warning",
    "[systemd][activation]") {
  TempDir dir;
  const auto hello_port = free_port();
  const auto time_port = free_port();
  const auto stray_port = free_port();
  const auto misnamed_port = free_port();
  const auto config = dir.write("netsvcd.yaml", two_listeners(hello_port, time_port));
  const auto address = [](std::uint16_t port) { return "127.0.0.1:" + std::to_string(port); };
  DaemonProcess activator(
      {"-l", address(hello_port), "-l", address(stray_port), "-l", address(misnamed_port),
       "--fdname=hello:netsvcd.socket:daytime", netsvcd_binary(), "--config", config.string()},
      {.program = "/usr/bin/systemd-socket-activate"});
  REQUIRE(activator.wait_for_log("Listening on " + address(misnamed_port)));
  CHECK(fetch("127.0.0.1", hello_port, {}, 10s) == "Hello World\n");
  REQUIRE(activator.wait_for_log(" ready: "));
  CHECK(activator.count_log("sockets passed by systemd: " + address(hello_port) + " (hello), " +
                            address(stray_port) + " (netsvcd.socket)") == 1);
  CHECK(activator.count_log("the socket on " + address(misnamed_port) +
                            " passed by systemd is named for listener daytime, which does not "
                            "listen there; closed") == 1);
  CHECK(activator.count_log("the socket on " + address(stray_port) +
                            " passed by systemd belongs to no listener; closed") == 1);
  CHECK(refused("127.0.0.1", stray_port));
  CHECK(refused("127.0.0.1", misnamed_port));
  CHECK(fetch("127.0.0.1", time_port) == current_year());
  CHECK(activator.stop() == 0);
}
