// Unit tests for drop-in files (daemon/config/include.* and the loader's `include:`): real files
// in a temporary directory, loaded with load_config_file as the daemon does. Line and column
// numbers in the expected messages are counted by hand from the YAML in each test.
#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "config/config_error.hpp"
#include "config/include.hpp"
#include "config/loader.hpp"
#include "services/registry.hpp"

#include "support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using netsvcd::config::LoadResult;
using netsvcd::test::TempDir;
using Strings = std::vector<std::string>;

// A hello listener as a `listeners:` entry (4 lines; the name's value at column 11 of the first).
std::string hello(const std::string& name, int port) {
  return "  - name: " + name +
         "\n"
         "    kind: hello\n"
         "    listen: 127.0.0.1:" +
         std::to_string(port) + "\n";
}

// A main file, netsvcd.yaml, with `include: conf.d/*.yaml` and the drop-ins beside it.
struct ConfigDir {
  TempDir dir;
  fs::path main = dir.path() / "netsvcd.yaml";
  std::string conf_d = (dir.path() / "conf.d").string();

  explicit ConfigDir(const std::string& main_text = "include: conf.d/*.yaml\nlisteners:\n" +
                                                    hello("main", 8001)) {
    dir.write("netsvcd.yaml", main_text);
  }
  // Writes conf.d/`name`, making conf.d if need be; returns its path as messages name it.
  std::string drop(const std::string& name, const std::string& text) const {
    fs::create_directories(conf_d);
    return dir.write("conf.d/" + name, text).string();
  }
  LoadResult load() const { return netsvcd::config::load_config_file(main, kinds()); }

  static netsvcd::config::ListenerKinds kinds() { return netsvcd::services::listener_kinds(); }
};

Strings to_strings(const LoadResult& result) {
  Strings out;
  for (const auto& error : result.errors)
    out.push_back(netsvcd::config::to_string(error));
  return out;
}

Strings names(const LoadResult& result) {
  Strings out;
  for (const auto& listener : result.config->listeners)
    out.push_back(listener.name);
  return out;
}

// The config of a set that must be valid.
LoadResult valid(const ConfigDir& set) {
  auto result = set.load();
  INFO("errors: " << Catch::Detail::stringify(to_strings(result)));
  REQUIRE(result.errors.empty());
  REQUIRE(result.config != nullptr);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Which files, in which order

TEST_CASE("include: no conf.d, or an empty one, adds nothing and is no error",
          "[config][include]") {
  const ConfigDir set;
  const auto absent = valid(set);
  CHECK(names(absent) == Strings{"main"});
  CHECK(absent.config->drop_ins.empty());
  CHECK(netsvcd::config::describe_files(*absent.config) == set.main.string());

  fs::create_directories(set.conf_d);
  const auto empty = valid(set);
  CHECK(names(empty) == Strings{"main"});
  CHECK(empty.config->drop_ins.empty());
}

TEST_CASE("include: one drop-in adds its listeners, which take the main file's defaults",
          "[config][include]") {
  const ConfigDir set("defaults:\n  max_connections: 7\ninclude: conf.d/*.yaml\nlisteners:\n" +
                      hello("main", 8001));
  const auto path =
      set.drop("daytime.yaml", "listeners:\n" + hello("extra", 8002) + "    max_per_source: 3\n");
  const auto result = valid(set);
  CHECK(names(result) == Strings{"main", "extra"});
  CHECK(result.config->drop_ins == Strings{path});
  const auto& extra = result.config->listeners[1];
  CHECK(extra.file == path);
  CHECK(extra.line == 2);
  CHECK(extra.limits.max_connections == 7u);
  CHECK(extra.limits.max_per_source == 3u);
  CHECK(result.config->listeners[0].file == set.main.string());
  CHECK(netsvcd::config::describe_files(*result.config) ==
        set.main.string() + " + 1 drop-in (" + path + ")");
}

TEST_CASE("include: drop-ins are read in byte order, only the names the pattern matches",
          "[config][include]") {
  const ConfigDir set;
  // Byte order, whatever the locale: digits before capitals before small letters, and "10"
  // before "9".
  const auto b = set.drop("b.yaml", "listeners:\n" + hello("b", 8005));
  const auto nine = set.drop("9-c.yaml", "listeners:\n" + hello("c", 8004));
  const auto upper = set.drop("B.yaml", "listeners:\n" + hello("upper", 8006));
  const auto ten = set.drop("10-a.yaml", "listeners:\n" + hello("a", 8003));
  // Not *.yaml: a package manager's leftovers, notes; a hidden file takes a pattern of its own.
  set.drop("b.yaml.dpkg-old", "not: yaml a drop-in");
  set.drop("README", "whatever");
  set.drop(".hidden.yaml", "threads: 9");
  const auto result = valid(set);
  CHECK(result.config->drop_ins == Strings{ten, nine, upper, b});
  CHECK(names(result) == Strings{"main", "a", "c", "upper", "b"});
  CHECK(netsvcd::config::describe_files(*result.config) ==
        set.main.string() + " + 4 drop-ins (" + ten + ", " + nine + ", " + upper + ", " + b + ")");
}

TEST_CASE("include: a relative pattern starts at the main file's directory, an absolute one not",
          "[config][include]") {
  const TempDir elsewhere;
  const auto other = elsewhere.write("other.yaml", "listeners:\n" + hello("other", 8003));
  const ConfigDir set("include:\n  - conf.d/*.yaml\n  - " + elsewhere.path().string() +
                      "/*.yaml\n  - conf.d/a.yaml\nlisteners:\n" + hello("main", 8001));
  const auto a = set.drop("a.yaml", "listeners:\n" + hello("a", 8002));

  // From another working directory, where conf.d/ does not exist.
  const fs::path cwd = fs::current_path();
  fs::current_path(elsewhere.path());
  const auto result = set.load();
  fs::current_path(cwd);
  REQUIRE(to_strings(result).empty());
  // In the order of the patterns; a file that two of them match is read once.
  CHECK(result.config->drop_ins == Strings{a, other.string()});
  CHECK(names(result) == Strings{"main", "a", "other"});
}

TEST_CASE("include: a main file named without a directory looks beside it", "[config][include]") {
  const ConfigDir set;
  set.drop("a.yaml", "listeners:\n" + hello("a", 8002));
  const fs::path cwd = fs::current_path();
  fs::current_path(set.dir.path());
  const auto result = netsvcd::config::load_config_file("netsvcd.yaml", ConfigDir::kinds());
  fs::current_path(cwd);
  REQUIRE(to_strings(result).empty());
  CHECK(result.config->drop_ins == Strings{"conf.d/a.yaml"});
}

TEST_CASE("include: a pattern that matches the main file itself does not read it again",
          "[config][include]") {
  const ConfigDir set("include: \"*.yaml\"\nlisteners:\n" + hello("main", 8001));
  const auto a = set.dir.write("a.yaml", "listeners:\n" + hello("a", 8002)).string();
  const auto result = valid(set);
  CHECK(result.config->drop_ins == Strings{a});
  CHECK(names(result) == Strings{"main", "a"});
}

TEST_CASE("include: expand_include takes the main file's directory literally, sorted by bytes",
          "[config][include]") {
  const TempDir dir;
  // Glob characters in the directory's name are not a pattern.
  const fs::path odd = dir.path() / "conf[1]*";
  fs::create_directories(odd / "conf.d");
  for (const char* name : {"b.yaml", "a.yaml", "B.yaml"})
    dir.write(std::string("conf[1]*/conf.d/") + name, "");
  const auto matches = netsvcd::config::expand_include("conf.d/*.yaml", odd / "netsvcd.yaml");
  const auto prefix = (odd / "conf.d/").string();
  CHECK(std::get<std::vector<std::string>>(matches) ==
        Strings{prefix + "B.yaml", prefix + "a.yaml", prefix + "b.yaml"});
  const auto none = netsvcd::config::expand_include("nowhere/*.yaml", odd / "netsvcd.yaml");
  CHECK(std::get<std::vector<std::string>>(none).empty());
}

TEST_CASE("include: the listeners may all be in drop-ins, but there must be one somewhere",
          "[config][include]") {
  const ConfigDir set("threads: 2\ninclude: conf.d/*.yaml\n");
  CHECK(to_strings(set.load()) ==
        Strings{set.main.string() +
                ":2:10: include: no listeners: the main file has none, and no file this names "
                "defines one (at least one is required)"});
  set.drop("a.yaml", "listeners:\n" + hello("a", 8002));
  CHECK(names(valid(set)) == Strings{"a"});
}

TEST_CASE("include: a drop-in a wordfinder names a dictionary relative to its own directory",
          "[config][include]") {
  const ConfigDir set;
  set.drop("words.txt", "apple\nbanana\ncherry\n");
  set.drop("words.yaml",
           "listeners:\n  - name: words\n    kind: wordfinder\n    listen: 127.0.0.1:8002\n"
           "    dictionary: words.txt\n");
  CHECK(names(valid(set)) == Strings{"main", "words"});
}

// ---------------------------------------------------------------------------------------------
// Errors

TEST_CASE("include: an error in a drop-in names the drop-in's path, line and column",
          "[config][include][errors]") {
  const ConfigDir set("threads: 0\ninclude: conf.d/*.yaml\nlisteners:\n" + hello("main", 8001));
  const auto a = set.drop("a.yaml", "listeners:\n" + hello("a", 99999));
  const auto b =
      set.drop("b.yaml", "listeners:\n  - name: b\n    kind: tiem\n    listen: 127.0.0.1:8003\n");
  const auto result = set.load();
  CHECK(result.config == nullptr);
  // Every file's errors at once: the main file's first, then each drop-in's in order.
  CHECK(to_strings(result) ==
        Strings{
            set.main.string() + ":1:10: threads: expected a whole number from 1 to 1024, got \"0\"",
            a + ":4:13: listeners[0].listen: bad port \"99999\" (expected 1 to 65535)",
            b + ":3:11: listeners[0].kind: unknown kind \"tiem\" (expected hello, time, "
                "wordfinder, metrics)"});
  REQUIRE(result.errors.size() == 3);
  CHECK(result.errors[1].file == a);
  CHECK(result.errors[1].line == 4);
  CHECK(result.errors[1].column == 13);
}

TEST_CASE("include: a YAML syntax error and an empty drop-in are reported in their own files",
          "[config][include][errors]") {
  const ConfigDir set;
  const auto broken = set.drop("a.yaml", "listeners:\n  - name: [a\n");
  const auto empty = set.drop("b.yaml", "");
  const auto none = set.drop("c.yaml", "listeners: []\n");
  const auto result = set.load();
  const auto errors = to_strings(result);
  REQUIRE(errors.size() == 3);
  CHECK(errors[0].starts_with(broken + ":3:1: YAML syntax error: "));
  CHECK(errors[1] == empty + ": the file is empty: expected a mapping with a \"listeners\" list");
  CHECK(errors[2] ==
        none + ":1:12: listeners: expected a list of one or more listeners, got an empty list");
}

TEST_CASE("include: the same listener name in two files names both places",
          "[config][include][errors]") {
  const ConfigDir set;
  const auto a = set.drop("a.yaml", "listeners:\n" + hello("extra", 8002));
  const auto b = set.drop(
      "b.yaml", "# the same again\nlisteners:\n" + hello("main", 8003) + hello("extra", 8004));
  CHECK(to_strings(set.load()) ==
        Strings{b + ":3:11: listeners[0].name: duplicate listener name \"main\" (first used at " +
                    set.main.string() + ":3:11)",
                b + ":6:11: listeners[1].name: duplicate listener name \"extra\" (first used at " +
                    a + ":2:11)"});
}

TEST_CASE("include: the same address in two files names both places", "[config][include][errors]") {
  const ConfigDir set(
      "include: conf.d/*.yaml\nlisteners:\n  - name: main\n    kind: hello\n"
      "    listen: \"[::]:8001\"\n");
  const auto a = set.drop("a.yaml", "listeners:\n" + hello("a", 8001));
  const auto b = set.drop("b.yaml",
                          "listeners:\n  - name: b\n    kind: time\n"
                          "    listen: [127.0.0.1:8002, 127.0.0.1:8003]\n");
  const auto c = set.drop("c.yaml", "listeners:\n" + hello("c", 8003));
  CHECK(to_strings(set.load()) ==
        Strings{a +
                    ":4:13: listeners[0].listen: \"127.0.0.1:8001\" of listener a cannot be "
                    "bound beside \"[::]:8001\" of listener main (" +
                    set.main.string() +
                    ":5:13, listeners[0].listen): [::]:8001 is dual-stack and already takes "
                    "IPv4 on that port (give its listener v6only: true to share the port with "
                    "IPv4 listeners)",
                c +
                    ":4:13: listeners[0].listen: \"127.0.0.1:8003\" of listener c cannot be "
                    "bound beside \"127.0.0.1:8003\" of listener b (" +
                    b + ":4:30, listeners[0].listen[1]): the same address and port twice"});
}

TEST_CASE("include: a drop-in holds listeners only, the main file's keys belong there",
          "[config][include][errors]") {
  const ConfigDir set;
  const auto path = set.drop("a.yaml",
                             "threads: 4\ndefaults:\n  max_connections: 1\n"
                             "include: more/*.yaml\nlistener:\n" +
                                 hello("a", 8002) + "listeners:\n" + hello("b", 8003));
  const auto belongs =
      ": belongs in the main file, " + set.main.string() + " (a drop-in holds only \"listeners\")";
  CHECK(to_strings(set.load()) ==
        Strings{path + ":1:1: threads" + belongs, path + ":2:1: defaults" + belongs,
                path + ":4:1: include" + belongs,
                path + ":5:1: listener: unknown key: did you mean \"listeners\"? (expected "
                       "listeners)"});
}

TEST_CASE("include: a drop-in that cannot be read is an error naming it",
          "[config][include][errors]") {
  const ConfigDir set;
  fs::create_directories(fs::path(set.conf_d) / "directory.yaml");
  fs::create_symlink(fs::path(set.conf_d) / "nowhere", fs::path(set.conf_d) / "dangling.yaml");
  const auto good = set.drop("good.yaml", "listeners:\n" + hello("good", 8002));
  const auto result = set.load();
  CHECK(result.config == nullptr);
  CHECK(to_strings(result) ==
        Strings{set.conf_d + "/dangling.yaml: cannot read: No such file or directory",
                set.conf_d + "/directory.yaml: cannot read: it is a directory"});
}

TEST_CASE("include: the key takes one pattern or a list of them", "[config][include][errors]") {
  const auto errors = [](const std::string& include) {
    const ConfigDir set("include: " + include + "\nlisteners:\n" + hello("main", 8001));
    const auto out = to_strings(set.load());
    const auto prefix = set.main.string() + ":";
    Strings relative;
    for (const auto& error : out)
      relative.push_back(error.starts_with(prefix) ? error.substr(prefix.size()) : error);
    return relative;
  };
  CHECK(errors("\"\"") ==
        Strings{"1:10: include: expected a file name pattern such as conf.d/*.yaml, got an empty "
                "string"});
  CHECK(errors("[]") == Strings{"1:10: include: empty: expected one or more file name patterns"});
  CHECK(errors("[conf.d/*.yaml, {a: 1}]") ==
        Strings{"1:26: include[1]: expected a file name pattern such as conf.d/*.yaml, got a "
                "mapping"});
  CHECK(errors("").size() == 1);  // nothing: not a pattern
}

TEST_CASE("include: parse_config reads no file: as if each pattern matched nothing",
          "[config][include]") {
  const ConfigDir set;
  set.drop("a.yaml", "listeners:\n" + hello("a", 8002));
  const auto result = netsvcd::config::parse_config(
      "include: " + set.conf_d + "/*.yaml\nlisteners:\n" + hello("main", 8001), "netsvcd.yaml",
      ConfigDir::kinds());
  REQUIRE(result.config != nullptr);
  CHECK(result.config->drop_ins.empty());
  CHECK(result.config->listeners.size() == 1);
}

}  // namespace
