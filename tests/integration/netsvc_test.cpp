// Integration tests of the netsvc client: the real netsvc binary against the real netsvcd on
// loopback, and `get` against a scripted HTTP server (support/http_test_server). Outputs and
// exit codes are compared exactly.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <regex>

#include "support/client.hpp"
#include "support/daemon_process.hpp"
#include "support/http_test_server.hpp"
#include "support/ports.hpp"
#include "support/temp_dir.hpp"
#include "unique_fd.hpp"

namespace netsvcd::test {
namespace {

RunResult netsvc(std::vector<std::string> args) {
  return run_program(NETSVC_BINARY, std::move(args));
}

// netsvc run from `dir`, where `get` saves under the URL's name.
RunResult netsvc_in(const TempDir& dir, std::vector<std::string> args) {
  args.insert(args.begin(), {"-c", "cd \"$0\" && exec \"$@\"", dir.path().string(), NETSVC_BINARY});
  return run_program("/bin/sh", std::move(args));
}

// netsvc with `hosts` as /etc/hosts, bind-mounted in a mount namespace of its own (as root;
// otherwise in a user namespace too), so that a test name can have both an IPv4 and an IPv6
// address whatever this machine's /etc/hosts says.
RunResult netsvc_with_hosts(const TempDir& dir, std::string_view hosts,
                            std::vector<std::string> args) {
  const auto file = dir.write("hosts", hosts);
  std::vector<std::string> command;
  if (::geteuid() != 0) command = {"--user", "--map-root-user"};
  command.insert(command.end(),
                 {"--mount", "--", "/bin/sh", "-c", "mount --bind \"$0\" /etc/hosts && exec \"$@\"",
                  file.string(), NETSVC_BINARY});
  command.insert(command.end(), args.begin(), args.end());
  return run_program("/usr/bin/unshare", std::move(command));
}

// netsvc with a terminal `columns` wide as its stdin, stdout and stderr (script(1) makes a
// pseudo-terminal), run from `dir`; what the terminal showed, with the \r of its line ends gone.
RunResult netsvc_on_terminal(const TempDir& dir, int columns, const std::string& args) {
  auto result = run_program("/usr/bin/script",
                            {"-qec",
                             fmt::format("cd '{}' && stty cols {} && exec '{}' {}",
                                         dir.path().string(), columns, NETSVC_BINARY, args),
                             "/dev/null"});
  std::string shown;
  for (std::size_t i = 0; i < result.out.size(); ++i) {
    if (result.out[i] == '\r' && i + 1 < result.out.size() && result.out[i + 1] == '\n') continue;
    shown += result.out[i];
  }
  result.out = shown;
  return result;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string dictionary() {
  return std::string(NETSVCD_SOURCE_DIR) + "/tests/data/small_dictionary.txt";
}

struct Services {
  TempDir dir;
  std::uint16_t hello = free_port();
  std::uint16_t daytime = free_port();
  std::uint16_t rfc3339 = free_port();
  std::uint16_t rfc868 = free_port();
  std::uint16_t words = free_port();
  std::unique_ptr<DaemonProcess> daemon;

  Services() {
    daemon = start_netsvcd(dir, fmt::format(R"(listeners:
  - name: hello
    kind: hello
    listen: ["127.0.0.1:{0}", "[::1]:{0}"]
  - name: daytime
    kind: time
    listen: ["127.0.0.1:{1}"]
  - name: rfc3339
    kind: time
    listen: ["127.0.0.1:{2}"]
    format: rfc3339
  - name: rfc868
    kind: time
    listen: ["127.0.0.1:{3}", "[::1]:{3}"]
    format: rfc868
  - name: words
    kind: wordfinder
    listen: ["127.0.0.1:{4}", "[::1]:{4}"]
    dictionary: {5}
)",
                                            hello, daytime, rfc3339, rfc868, words, dictionary()));
  }
};

std::string at(std::uint16_t port) {
  return fmt::format("127.0.0.1:{}", port);
}

}  // namespace

TEST_CASE("netsvc hello prints what hello says, over IPv4 and IPv6", "[netsvc]") {
  Services services;
  auto result = netsvc({"hello", at(services.hello)});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "Hello World\n");
  CHECK(result.err.empty());
  result = netsvc({"hello", fmt::format("[::1]:{}", services.hello)});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "Hello World\n");
}

TEST_CASE("netsvc time prints the time, and decodes RFC 868", "[netsvc]") {
  Services services;
  auto result = netsvc({"time", at(services.daytime)});
  CHECK(result.exit_code == 0);
  // %c in the C locale: "Sun Nov 22 04:06:57 2026".
  CHECK(std::regex_match(
      result.out, std::regex(R"([A-Z][a-z]{2} [A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d \d{4}\n)")));
  result = netsvc({"time", at(services.rfc3339)});
  CHECK(result.exit_code == 0);
  CHECK(std::regex_match(result.out, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n)")));

  for (const auto& target : {at(services.rfc868), fmt::format("[::1]:{}", services.rfc868)}) {
    const auto before = std::chrono::system_clock::now();
    result = netsvc({"time", target, "--rfc868"});
    const auto after = std::chrono::system_clock::now();
    REQUIRE(result.exit_code == 0);
    std::tm parts{};
    REQUIRE(::strptime(result.out.c_str(), "%Y-%m-%d %H:%M:%S UTC\n", &parts) != nullptr);
    CHECK(result.out.size() == std::string_view("2026-12-01 02:05:00 UTC\n").size());
    const auto shown = std::chrono::system_clock::from_time_t(::timegm(&parts));
    // Whole seconds, truncated by the server: within a second of the run's window.
    CHECK(shown >= std::chrono::floor<std::chrono::seconds>(before) - std::chrono::seconds(1));
    CHECK(shown <= after + std::chrono::seconds(1));
  }
}

TEST_CASE("netsvc words prints the word finder's words, one a line when piped", "[netsvc]") {
  Services services;
  const auto target = at(services.words);
  auto result = netsvc({"words", target, "relax"});
  CHECK(result.exit_code == 0);
  CHECK(result.err.empty());
  CHECK(result.out == "laxer\nrelax\naxle\nreal\nale\nare\near\nera\nlax\nlea\nrex\nax\nex\n");

  result = netsvc({"words", target, "relax", "--min-length", "4"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "laxer\nrelax\naxle\nreal\n");

  // A blank: '?' or a space.
  result = netsvc({"words", target, "zo?"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "zoo\nox\n");
  CHECK(netsvc({"words", target, "zo "}).out == "zoo\nox\n");

  result = netsvc(
      {"words", fmt::format("[::1]:{}", services.words), "relax", "--json", "--min-length=5"});
  CHECK(result.exit_code == 0);
  const auto json = nlohmann::json::parse(result.out);
  CHECK(json["possibilities"] == nlohmann::json::array({"laxer", "relax"}));
  CHECK(json["min_length"] == 5);
  CHECK(json["rack"] == "aelrx");
  CHECK(result.out.ends_with("}\n"));
}

TEST_CASE("netsvc words on a terminal: columns as wide as the terminal, grouped by length",
          "[netsvc]") {
  Services services;
  const auto result =
      netsvc_on_terminal(services.dir, 24, "words " + at(services.words) + " relax");
  CHECK(result.exit_code == 0);
  CHECK(result.out ==
        "5 letters (2)\n"
        "  laxer  relax\n"
        "\n"
        "4 letters (2)\n"
        "  axle  real\n"
        "\n"
        "3 letters (7)\n"
        "  ale  ear  lax  rex\n"
        "  are  era  lea\n"
        "\n"
        "2 letters (2)\n"
        "  ax  ex\n");
}

TEST_CASE("netsvc words shows the server's message for bad letters, exit 65", "[netsvc]") {
  Services services;
  const auto result = netsvc({"words", at(services.words), "abc1"});
  CHECK(result.exit_code == 65);
  CHECK(result.out.empty());
  CHECK_THAT(result.err, Catch::StartsWith(fmt::format("netsvc: words {}: ", at(services.words))));
  CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
  CHECK(result.err.find("1") != std::string::npos);
}

TEST_CASE("netsvc words --sort score shows each word's score", "[netsvc][score]") {
  Services services;
  const auto result = netsvc({"words", at(services.words), "relax", "--sort", "score"});
  CHECK(result.exit_code == 0);
  // Scores: l1 a1 x8 e1 r1; best first, then alphabetical.
  CHECK(result.out ==
        "laxer 12\nrelax 12\naxle 11\nlax 10\nrex 10\nax 9\nex 9\nreal 4\nale 3\nare 3\near 3\n"
        "era 3\nlea 3\n");
}

TEST_CASE("netsvc get saves a body: chunked, redirected, binary, large", "[netsvc]") {
  TempDir dir;
  std::string every_byte;
  for (int round = 0; round < 4; ++round)
    for (int byte = 0; byte < 256; ++byte)
      every_byte += static_cast<char>(byte);
  std::string big(3 * 1024 * 1024 + 1, '\0');
  for (std::size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>((i * 7919) >> 5);
  HttpTestServer content(
      "127.0.0.1",
      {{"/chunked",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nHello\r\n8\r\n, world\n\r\n"
        "0\r\n\r\n"},
       {"/bytes.bin", http_response(every_byte, 200, "OK", "Content-Type: x/y\r\n")},
       {"/files/big.bin", http_response(big)},
       {"/", http_response("<p>index</p>\n")},
       {"/dir/rel", "HTTP/1.1 302 Found\r\nLocation: ../chunked\r\nContent-Length: 0\r\n\r\n"}});
  const auto base = fmt::format("http://127.0.0.1:{}", content.port());
  HttpTestServer other("::1", {{"/away", fmt::format("HTTP/1.1 301 Moved Permanently\r\nLocation: "
                                                     "{}/dir/rel\r\nContent-Length: 0\r\n\r\n",
                                                     base)}});

  SECTION("chunked, to stdout") {
    const auto result = netsvc({"get", base + "/chunked", "-o", "-"});
    CHECK(result.exit_code == 0);
    CHECK(result.out == "Hello, world\n");
    CHECK(result.err == "saved 13 bytes to standard output\n");
    const auto requests = content.requests();
    REQUIRE(requests.size() == 1);
    CHECK_THAT(requests[0], Catch::StartsWith("GET /chunked HTTP/1.1\r\nHost: 127.0.0.1:"));
  }
  SECTION("an absolute redirect to a relative one, named after the URL asked for") {
    const auto result = netsvc_in(dir, {"get", fmt::format("http://[::1]:{}/away", other.port())});
    CHECK(result.exit_code == 0);
    CHECK(result.out.empty());
    CHECK(result.err == "saved 13 bytes to 'away'\n");
    CHECK(read_file(dir.path() / "away") == "Hello, world\n");
    CHECK(content.requests().size() == 2);
  }
  SECTION("every byte value, under the URL's name") {
    const auto result = netsvc_in(dir, {"get", base + "/bytes.bin"});
    CHECK(result.exit_code == 0);
    CHECK(result.err == "saved 1024 bytes to 'bytes.bin'\n");
    CHECK(read_file(dir.path() / "bytes.bin") == every_byte);
  }
  SECTION("a large body, and no progress bar when stderr is not a terminal") {
    const auto result = netsvc_in(dir, {"get", base + "/files/big.bin"});
    CHECK(result.exit_code == 0);
    CHECK(result.err == "saved 3145729 bytes to 'big.bin'\n");
    CHECK(read_file(dir.path() / "big.bin") == big);
  }
  SECTION("a large body with a progress bar when stderr is a terminal") {
    const auto result = netsvc_on_terminal(dir, 80, "get " + base + "/files/big.bin");
    CHECK(result.exit_code == 0);
    // The bar is redrawn in place (\r), ends at 100%, and is erased before the last line.
    CHECK_THAT(result.out, Catch::Contains("\r[#"));
    CHECK_THAT(result.out, Catch::Contains("] 100%  3.0 MiB / 3.0 MiB"));
    CHECK_THAT(result.out, Catch::EndsWith("\r\x1b[Ksaved 3145729 bytes to 'big.bin'\n"));
    CHECK(read_file(dir.path() / "big.bin") == big);
  }
  SECTION("-o FILE, and index.html for a path ending in /") {
    const auto file = (dir.path() / "saved.html").string();
    auto result = netsvc({"get", base + "/", "-o", file});
    CHECK(result.exit_code == 0);
    CHECK(result.err == "saved 13 bytes to '" + file + "'\n");
    CHECK(read_file(file) == "<p>index</p>\n");
    result = netsvc_in(dir, {"get", base});
    CHECK(result.err == "saved 13 bytes to 'index.html'\n");
    CHECK(read_file(dir.path() / "index.html") == "<p>index</p>\n");
  }
}

TEST_CASE("netsvc get fails with one line and its exit code", "[netsvc]") {
  TempDir dir;
  HttpTestServer server(
      "127.0.0.1",
      {{"/loop", "HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n"},
       {"/truncated.bin", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + std::string(50, 'x')},
       {"/file", http_response("content\n")},
       {"/large.bin", http_response(std::string(100 * 1024, 'x'))}});
  const auto base = fmt::format("http://127.0.0.1:{}", server.port());

  SECTION("404: 66, and no file") {
    const auto result = netsvc_in(dir, {"get", base + "/missing"});
    CHECK(result.exit_code == 66);
    CHECK(result.err == "netsvc: get " + base + "/missing: HTTP 404 Not Found\n");
    CHECK_FALSE(std::filesystem::exists(dir.path() / "missing"));
  }
  SECTION("too many redirects: 76") {
    const auto result = netsvc({"get", base + "/loop", "-o", "-"});
    CHECK(result.exit_code == 76);
    CHECK(result.err == "netsvc: get " + base + "/loop: redirected to " + base +
                            "/loop: more than 10 redirects\n");
    CHECK(server.requests().size() == 11);
  }
  SECTION("a truncated body: 76, and the partial file removed") {
    const auto result = netsvc_in(dir, {"get", base + "/truncated.bin"});
    CHECK(result.exit_code == 76);
    CHECK(result.err == "netsvc: get " + base +
                            "/truncated.bin: 127.0.0.1:" + std::to_string(server.port()) +
                            ": the body ends early (the connection closed)\n");
    CHECK_FALSE(std::filesystem::exists(dir.path() / "truncated.bin"));
    // A file that was there before is overwritten, and left (with what came) rather than removed.
    const auto existing = dir.write("existing.bin", "old content");
    CHECK(netsvc({"get", base + "/truncated.bin", "-o", existing.string()}).exit_code == 76);
    CHECK(read_file(existing) == std::string(50, 'x'));
  }
  SECTION("https:// is refused: 64") {
    const auto result = netsvc({"get", "https://127.0.0.1/"});
    CHECK(result.exit_code == 64);
    CHECK(result.err ==
          "netsvc: get https://127.0.0.1/: https:// is not supported (netsvc speaks plain HTTP "
          "only)\n");
  }
  SECTION("an output file that cannot be created: 73") {
    const auto result = netsvc({"get", base + "/file", "-o", "/nonexistent-dir/file"});
    CHECK(result.exit_code == 73);
    CHECK(result.err == "netsvc: get " + base +
                            "/file: cannot create '/nonexistent-dir/file': No such file or "
                            "directory\n");
  }
  SECTION("a write error: 74, and the partial file removed") {
    // A file size limit of one 512-byte block, with SIGXFSZ ignored, makes a longer write fail
    // with EFBIG: a write error on any file system (a sandbox's /dev/full may take writes).
    const auto file = (dir.path() / "large.bin").string();
    const auto result =
        run_program("/bin/sh", {"-c", "trap '' XFSZ; ulimit -f 1; exec \"$@\"", "sh", NETSVC_BINARY,
                                "get", base + "/large.bin", "-o", file});
    CHECK(result.exit_code == 74);
    CHECK(result.err ==
          "netsvc: get " + base + "/large.bin: writing '" + file + "': File too large\n");
    CHECK_FALSE(std::filesystem::exists(file));
  }
}

TEST_CASE("netsvc's failures: no such host, refused, garbage, usage", "[netsvc]") {
  SECTION("a name that never resolves (RFC 2606's .invalid): 68") {
    const auto result = netsvc({"hello", "nonexistent.invalid:8080"});
    CHECK(result.exit_code == 68);
    CHECK_THAT(result.err, Catch::StartsWith("netsvc: hello nonexistent.invalid:8080: cannot "
                                             "resolve nonexistent.invalid ("));
    CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
  }
  SECTION("nothing listens: 69") {
    const auto port = free_port();
    const auto result = netsvc({"hello", at(port)});
    CHECK(result.exit_code == 69);
    CHECK(result.err == fmt::format("netsvc: hello 127.0.0.1:{0}: cannot connect: Connection "
                                    "refused (127.0.0.1:{0})\n",
                                    port));
  }
  SECTION("a server that speaks something else: 76") {
    HttpTestServer garbage("127.0.0.1", {}, "SSH-2.0-OpenSSH_9.2\r\n");
    const auto target = at(garbage.port());
    auto result = netsvc({"words", target, "abc"});
    CHECK(result.exit_code == 76);
    CHECK_THAT(result.err, Catch::StartsWith("netsvc: words " + target + ": " + target +
                                             ": not an HTTP response ("));
    result = netsvc({"get", "http://" + target + "/", "-o", "-"});
    CHECK(result.exit_code == 76);
    result = netsvc({"time", target, "--rfc868"});
    CHECK(result.exit_code == 76);
    CHECK(result.err == "netsvc: time " + target + ": expected RFC 868's 4 bytes, got 21\n");
  }
  SECTION("a server that accepts and says nothing: 75 after --io-timeout") {
    // The kernel completes the handshake for a listener that never accepts.
    const auto port = free_port();
    UniqueFd silent(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(silent.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(silent.get(), 16) == 0);
    const auto result = netsvc({"hello", at(port), "--io-timeout", "0.3"});
    CHECK(result.exit_code == 75);
    CHECK(result.err ==
          fmt::format("netsvc: hello {0}: {0}: the server was silent for 300 ms\n", at(port)));
  }
  SECTION("a word finder answer that is not JSON: 76") {
    HttpTestServer server("127.0.0.1", {{"/abc", http_response("{not json")}});
    const auto result = netsvc({"words", at(server.port()), "abc"});
    CHECK(result.exit_code == 76);
    CHECK(result.err == "netsvc: words " + at(server.port()) +
                            ": the word finder's answer is not what the API promises: not JSON\n");
  }
  SECTION("usage errors: 64") {
    for (const auto& args :
         std::vector<std::vector<std::string>>{{},
                                               {"hello"},
                                               {"frobnicate", "x"},
                                               {"hello", "127.0.0.1:99999"},
                                               {"hello", "[::1"},
                                               {"time", "host:port"},
                                               {"words", "127.0.0.1:1", "abc", "--sort", "random"},
                                               {"words", "127.0.0.1:1", "abc", "--min-length", "0"},
                                               {"words", "127.0.0.1:1", ""},
                                               {"get", "ftp://example.org/"},
                                               {"hello", "127.0.0.1:1", "--timeout", "-1"}}) {
      const auto result = netsvc(args);
      INFO(fmt::format("netsvc {}", fmt::join(args, " ")) << ": " << result.err);
      CHECK(result.exit_code == 64);
      CHECK_THAT(result.err, Catch::StartsWith("netsvc: "));
      CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
    }
  }
  SECTION("--help and --version") {
    auto result = netsvc({"--help"});
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("Exit codes (sysexits.h):"));
    result = netsvc({"get", "--help"});
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("-o,--output"));
    result = netsvc({"--version"});
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::StartsWith("netsvc "));
  }
}

TEST_CASE("netsvc connects to a name with IPv6 and IPv4 addresses where one family listens",
          "[netsvc]") {
  TempDir dir;
  const std::string hosts = "127.0.0.1 localhost\n::1 dual.test\n127.0.0.1 dual.test\n";
  const auto six = free_port();
  const auto four = free_port();
  const auto daemon = start_netsvcd(dir, fmt::format(R"(listeners:
  - name: six
    kind: hello
    listen: ["[::1]:{}"]
    v6only: true
    message: "over IPv6"
  - name: four
    kind: hello
    listen: ["127.0.0.1:{}"]
    message: "over IPv4"
)",
                                                     six, four));
  auto result = netsvc_with_hosts(dir, hosts, {"hello", fmt::format("dual.test:{}", six)});
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "over IPv6\n");
  result = netsvc_with_hosts(dir, hosts, {"hello", fmt::format("dual.test:{}", four)});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "over IPv4\n");

  result = netsvc_with_hosts(dir, hosts, {"resolve", "dual.test"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "canonical name: dual.test\nIPv4 address: 127.0.0.1\nIPv6 address: ::1\n");
}

TEST_CASE("netsvc resolve prints the canonical name and every address", "[netsvc]") {
  auto result = netsvc({"resolve", "localhost"});
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::StartsWith("canonical name: localhost\n"));
  CHECK_THAT(result.out, Catch::Contains("IPv4 address: 127.0.0.1\n"));
  result = netsvc({"resolve", "::1"});
  CHECK(result.out == "canonical name: ::1\nIPv6 address: ::1\n");
  result = netsvc({"resolve", "nonexistent.invalid"});
  CHECK(result.exit_code == 68);
}

}  // namespace netsvcd::test
