// Unit tests for daemon/net/listener_set.*: the reload's socket diff (ListenerSet::replace)
// driven directly, without the netsvcd binary: a real pool of two threads, real loopback
// sockets, configs from the real loader. Each test checks what a client sees and whether an
// address that stays keeps the very same socket (its inode).
#include <sys/stat.h>

#include <future>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "config/loader.hpp"
#include "connection/connection_counts.hpp"
#include "io_pool.hpp"
#include "net/listener_set.hpp"
#include "services/registry.hpp"
#include "support/client.hpp"
#include "support/port_squatter.hpp"
#include "support/ports.hpp"

namespace netsvcd::test {
namespace {

std::shared_ptr<const config::Config> parse(const std::string& yaml) {
  auto loaded = config::parse_config(yaml, "test.yaml", services::listener_kinds());
  INFO(yaml);
  REQUIRE(loaded.errors.empty());
  return loaded.config;
}

std::string hello_on(std::string_view name, std::string_view address, std::string_view message) {
  return fmt::format(R"(  - name: {}
    kind: hello
    listen: ["{}"]
    message: "{}"
)",
                     name, address, message);
}

std::string words_on(std::string_view name, std::string_view address) {
  return fmt::format(R"(  - name: {}
    kind: wordfinder
    listen: ["{}"]
    dictionary: {}/tests/data/small_dictionary.txt
)",
                     name, address, NETSVCD_SOURCE_DIR);
}

std::string config_of(std::initializer_list<std::string> listeners) {
  std::string yaml = "listeners:\n";
  for (const auto& listener : listeners)
    yaml += listener;
  return yaml;
}

// The inode of each listening socket, by listener: the same inode is the same socket.
std::vector<ino_t> inodes(const net::ListenerSet& set) {
  std::vector<ino_t> result;
  for (const auto& [name, fds] : set.native_handles()) {
    for (const int fd : fds) {
      struct stat st {};
      REQUIRE(::fstat(fd, &st) == 0);
      result.push_back(st.st_ino);
    }
  }
  return result;
}

// A running pool with a set on `config`, and replace() run on the pool as the daemon runs it.
struct Running {
  IoPool pool;
  connection::ConnectionCounts counts{2};
  std::shared_ptr<const config::Config> config;
  net::ListenerSet set;

  explicit Running(const std::string& yaml) : config(parse(yaml)) {
    pool.resize(2);
    net::SocketSource sockets;
    auto opened = net::ListenerSet::open(pool, *config, sockets, counts);
    REQUIRE(std::holds_alternative<net::ListenerSet>(opened));
    set = std::move(std::get<net::ListenerSet>(opened));
    set.start();
    pool.start();
  }
  ~Running() {
    asio::co_spawn(pool.context(), set.stop(), asio::use_future).get();
    pool.stop();
  }

  // Replaces the set with one for `yaml`, starts what comes back, and returns the refusal.
  std::vector<std::string> replace(const std::string& yaml) {
    auto next = parse(yaml);
    auto replacement =
        asio::co_spawn(pool.context(), set.replace(*config, *next), asio::use_future).get();
    set = std::move(replacement.listeners);
    set.start();
    if (replacement.refusal.empty()) config = next;
    return replacement.refusal;
  }
};

}  // namespace

TEST_CASE("listener set: a reload keeps the socket of an unchanged address and adds a new one",
          "[listener_set]") {
  const auto port = free_port();
  const auto added = free_port();
  Running running(config_of({hello_on("hello", fmt::format("127.0.0.1:{}", port), "one")}));
  CHECK(fetch("127.0.0.1", port) == "one\n");
  const auto before = inodes(running.set);

  CHECK(running
            .replace(config_of({hello_on("hello", fmt::format("127.0.0.1:{}", port), "two"),
                                hello_on("more", fmt::format("127.0.0.1:{}", added), "new")}))
            .empty());
  CHECK(inodes(running.set).front() == before.front());
  CHECK(fetch("127.0.0.1", port) == "two\n");
  CHECK(fetch("127.0.0.1", added) == "new\n");
  CHECK(running.set.size() == 2);
}

TEST_CASE("listener set: a removed listener's port refuses at once", "[listener_set]") {
  const auto kept = free_port();
  const auto removed = free_port();
  Running running(config_of({hello_on("kept", fmt::format("127.0.0.1:{}", kept), "k"),
                             hello_on("gone", fmt::format("127.0.0.1:{}", removed), "g")}));
  CHECK(fetch("127.0.0.1", removed) == "g\n");
  CHECK(running.replace(config_of({hello_on("kept", fmt::format("127.0.0.1:{}", kept), "k")}))
            .empty());
  CHECK(refused("127.0.0.1", removed));
  CHECK(fetch("127.0.0.1", kept) == "k\n");
}

TEST_CASE("listener set: an address taken by another program refuses the whole reload",
          "[listener_set]") {
  const auto port = free_port();
  const auto taken = free_port();
  PortSquatter squatter(taken);
  Running running(config_of({hello_on("hello", fmt::format("127.0.0.1:{}", port), "old")}));
  const auto before = inodes(running.set);
  const auto refusal =
      running.replace(config_of({hello_on("hello", fmt::format("127.0.0.1:{}", port), "new"),
                                 hello_on("more", fmt::format("127.0.0.1:{}", taken), "x")}));
  CHECK(refusal ==
        std::vector<std::string>{
            fmt::format("listener more: cannot listen on 127.0.0.1:{}: Address already in use",
                        taken),
            "reload refused; still serving the previous configuration"});
  // Nothing changed: the same socket, the old message.
  CHECK(inodes(running.set) == before);
  CHECK(fetch("127.0.0.1", port) == "old\n");
}

TEST_CASE("listener set: an identity change on one port replaces the socket", "[listener_set]") {
  const auto port = free_port();
  Running running(config_of({hello_on("hello", fmt::format("127.0.0.1:{}", port), "v4")}));
  CHECK(running.replace(config_of({hello_on("hello", fmt::format("[::]:{}", port), "dual")}))
            .empty());
  CHECK(fetch("127.0.0.1", port) == "dual\n");
  CHECK(fetch("::1", port) == "dual\n");
}

TEST_CASE("listener set: an identity change that cannot bind listens on the old socket again",
          "[listener_set]") {
  const auto port = free_port();
  // [::]:P cannot bind while something holds [::1]:P; 127.0.0.1:P can.
  PortSquatter squatter(port, "::1");
  Running running(config_of({hello_on("hello", fmt::format("127.0.0.1:{}", port), "v4")}));
  const auto before = inodes(running.set);
  const auto refusal =
      running.replace(config_of({hello_on("hello", fmt::format("[::]:{}", port), "dual")}));
  CHECK(refusal ==
        std::vector<std::string>{
            fmt::format("listener hello: cannot listen on [::]:{}: Address already in use", port),
            "reload refused; still serving the previous configuration"});
  CHECK(inodes(running.set) == before);
  CHECK(fetch("127.0.0.1", port) == "v4\n");
}

TEST_CASE("listener set: kept-alive connections are dealt out over the pool threads",
          "[listener_set]") {
  // One thread waits on the socket at a time; the turn passes to a thread with fewer
  // connections, so that a burst of long-lived connections does not all land on one thread.
  const auto port = free_port();
  Running running(config_of({words_on("words", fmt::format("127.0.0.1:{}", port))}));
  std::vector<Connection> clients;
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back("127.0.0.1", port);
    clients.back().send("GET / HTTP/1.1\r\nHost: test\r\n\r\n");
    CHECK(clients.back().read_some().starts_with("HTTP/1.1 200 OK"));
  }
  CHECK(running.counts.active() == 8);
  CHECK(running.counts.active(0) >= 2);
  CHECK(running.counts.active(1) >= 2);
}

}  // namespace netsvcd::test
