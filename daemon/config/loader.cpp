#include "config/loader.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "config/include.hpp"
#include "config/limits.hpp"
#include "config/mapping_reader.hpp"
#include "log_settings.hpp"

namespace netsvcd::config {
namespace {

constexpr std::int64_t kMaxThreads = 1024;
constexpr std::size_t kMaxNameLength = 64;
// A load balancer's health checks notice a stop within seconds; a stop must end within the
// unit's TimeoutStopSec=.
constexpr std::chrono::milliseconds kMaxStopDelay = std::chrono::seconds(60);

bool valid_listener_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameLength &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
         });
}

// Where each listener name came from, to name both places of a duplicate.
struct NameOrigin {
  std::string name;
  std::size_t file;  // index into Reading::files
  int line;          // where its listener starts
  YAML::Mark mark;   // its value
};

// Where each endpoint came from, to name both sides of a clash.
struct EndpointOrigin {
  Endpoint endpoint;
  std::string listener;
  std::size_t file;  // index into Reading::files
  std::string path;  // listeners[i].listen[j]
  std::string text;  // the entry as written
  YAML::Mark mark;
};

// A config being read: each file's errors, the main file's first and then each drop-in's in the
// order read, and what spans the files: the main file's defaults and keys, the listeners read so
// far, and where each name and listen entry came from, so that a clash names both places.
struct Reading {
  Reading(ListenerKinds kinds, std::string main_file) : kinds(kinds) {
    files.emplace_back(std::move(main_file));
  }

  ListenerKinds kinds;
  std::deque<ConfigErrors> files;  // a deque: MappingReaders hold references as files are added
  Limits defaults;
  std::vector<std::string> main_keys;  // the main file's keys, which have no place in a drop-in
  std::vector<ListenerConfig> listeners;
  std::size_t entries = 0;  // listener entries in every file, valid or not
  std::vector<NameOrigin> names;
  std::vector<EndpointOrigin> endpoints;

  // "file:line:column" of `mark` in file `file`.
  std::string place(std::size_t file, const YAML::Mark& mark) const {
    return files[file].file() + ':' + std::to_string(mark.line + 1) + ':' +
           std::to_string(mark.column + 1);
  }
};

// "hello, time, ...": every kind, or only those that answer datagrams.
std::string kind_names(ListenerKinds kinds, bool datagrams_only = false) {
  std::string names;
  for (const ListenerKind* kind : kinds) {
    if (datagrams_only && !kind->datagrams) continue;
    if (!names.empty()) names += ", ";
    names += kind->name;
  }
  return names;
}

// The listen entries, each checked against the others read so far later (report_clashes); a
// udp:// one only for a kind that answers datagrams.
std::vector<Endpoint> read_listen(MappingReader& reader, bool v6only, std::size_t file,
                                  Reading& reading, const std::string& name,
                                  const ListenerKind* kind) {
  const YAML::Node listen = reader.find("listen");
  if (!listen.IsDefined()) {
    reader.error("listen", "missing (this key is required: one or more host:port)");
    return {};
  }
  std::vector<std::pair<YAML::Node, std::string>> entries;  // node, path
  if (listen.IsScalar()) {
    entries.emplace_back(listen, reader.path_of("listen"));
  } else if (listen.IsSequence()) {
    for (std::size_t i = 0; i < listen.size(); ++i) {
      entries.emplace_back(listen[i], reader.path_of("listen") + '[' + std::to_string(i) + ']');
    }
    if (entries.empty()) reader.error("listen", "empty: expected one or more host:port");
  } else {
    reader.error("listen", "expected host:port or a list of them, got " + describe_node(listen));
  }

  std::vector<Endpoint> endpoints;
  for (const auto& [node, path] : entries) {
    if (!node.IsScalar()) {
      reader.error_at(node, path, "expected host:port, got " + describe_node(node));
      continue;
    }
    auto resolved = resolve_listen(node.Scalar(), v6only);
    if (auto* message = std::get_if<std::string>(&resolved)) {
      reader.error_at(node, path, *message);
      continue;
    }
    const auto& resolved_endpoints = std::get<std::vector<Endpoint>>(resolved);
    if (kind && !kind->datagrams && !resolved_endpoints.empty() &&
        resolved_endpoints.front().transport == Transport::udp) {
      reader.error_at(node, path,
                      "a " + std::string(kind->name) +
                          " listener cannot serve UDP (kinds that can: " +
                          kind_names(reading.kinds, true) + ")");
      continue;
    }
    // resolve_listen gives each address once; the same address in two entries is a clash.
    for (const Endpoint& endpoint : resolved_endpoints) {
      endpoints.push_back(endpoint);
      reading.endpoints.push_back({endpoint, name, file, path, node.Scalar(), node.Mark()});
    }
  }
  return endpoints;
}

// Reported in the file of the later entry: a drop-in's against the main file or an earlier one.
void report_clashes(Reading& reading) {
  const auto& origins = reading.endpoints;
  for (std::size_t later = 0; later < origins.size(); ++later) {
    for (std::size_t earlier = 0; earlier < later; ++earlier) {
      const auto& a = origins[earlier];
      const auto& b = origins[later];
      if (const auto why = bind_conflict(a.endpoint, b.endpoint)) {
        const std::string where = a.file == b.file
                                      ? a.path + ", line " + std::to_string(a.mark.line + 1)
                                      : reading.place(a.file, a.mark) + ", " + a.path;
        reading.files[b.file].add(b.mark, b.path,
                                  '"' + b.text + "\" of listener " + b.listener +
                                      " cannot be bound beside \"" + a.text + "\" of listener " +
                                      a.listener + " (" + where + "): " + *why);
        break;  // one report per entry is enough
      }
    }
  }
}

// proxy_protocol and proxy_from, which make sense only together: a header from anyone would let
// anyone claim any address, so proxy_protocol: true needs the proxies that may send it.
void read_proxy_protocol(MappingReader& reader, ListenerConfig& listener) {
  const auto enabled = reader.boolean("proxy_protocol");
  const std::size_t errors_before = reader.errors().size();
  auto from = read_networks(reader, "proxy_from");
  const bool from_read = reader.errors().size() == errors_before;
  listener.proxy_protocol = enabled.value_or(false);
  if (from) listener.proxy_from = std::move(*from);
  if (listener.proxy_protocol && !from) {
    reader.error("proxy_protocol",
                 "true needs proxy_from, the proxies that may send a PROXY header (such as "
                 "[\"127.0.0.1\"]): without it anyone could claim any address");
  } else if (listener.proxy_protocol && from_read && listener.proxy_from.empty()) {
    reader.error("proxy_from",
                 "empty: expected the addresses or networks of the proxies that may send a PROXY "
                 "header");
  } else if (from && !listener.proxy_protocol &&
             (enabled || !reader.find("proxy_protocol").IsDefined())) {
    // (Not when proxy_protocol's own value is wrong: that error says enough.)
    reader.error("proxy_from", "has no effect without proxy_protocol: true");
  }
}

const ListenerKind* find_kind(ListenerKinds kinds, std::string_view name) {
  const auto it = std::ranges::find(kinds, name, &ListenerKind::name);
  return it == kinds.end() ? nullptr : *it;
}

// "hello, time" for messages.

std::optional<ListenerConfig> read_listener(const YAML::Node& node, std::size_t index,
                                            std::size_t file, Reading& reading) {
  ConfigErrors& errors = reading.files[file];
  const ListenerKinds kinds = reading.kinds;
  const std::string path = "listeners[" + std::to_string(index) + "]";
  if (!node.IsMap()) {
    errors.add(node.Mark(), path,
               "expected a mapping with name, kind and listen, got " + describe_node(node));
    return std::nullopt;
  }
  const std::size_t errors_before = errors.size();
  MappingReader reader(node, path, errors);
  ListenerConfig listener;
  listener.file = errors.file();
  listener.line = node.Mark().line + 1;

  const auto name = reader.required_string("name");
  if (name) {
    const auto same = std::ranges::find(reading.names, *name, &NameOrigin::name);
    if (same != reading.names.end()) {
      const std::string first = same->file == file ? "line " + std::to_string(same->line)
                                                   : reading.place(same->file, same->mark);
      reader.error("name",
                   "duplicate listener name \"" + *name + "\" (first used at " + first + ")");
    } else if (valid_listener_name(*name)) {
      reading.names.push_back({*name, file, listener.line, reader.find("name").Mark()});
      listener.name = *name;
    } else {
      reader.error("name", "bad name \"" + *name + "\" (expected 1 to " +
                               std::to_string(kMaxNameLength) +
                               " characters of a-z, 0-9, '_' and '-')");
    }
  }
  const ListenerKind* kind = nullptr;
  if (auto kind_name = reader.required_string("kind")) {
    kind = find_kind(kinds, *kind_name);
    if (kind) {
      listener.kind = *kind_name;
    } else {
      reader.error("kind",
                   "unknown kind \"" + *kind_name + "\" (expected " + kind_names(kinds) + ")");
    }
  }
  listener.v6only = reader.boolean("v6only").value_or(false);
  listener.write_timeout = reader.duration("write_timeout", std::chrono::milliseconds(1))
                               .value_or(listener.write_timeout);
  // As written, valid or not: a clash names the listener the user reads in the file.
  listener.endpoints = read_listen(reader, listener.v6only, file, reading, name.value_or(""), kind);
  const ListenerTraits traits{std::ranges::any_of(
      listener.endpoints, [](const Endpoint& e) { return e.transport == Transport::udp; })};
  listener.limits = read_limits(reader, reading.defaults);
  read_proxy_protocol(reader, listener);
  if (listener.proxy_protocol && traits.datagrams) {
    reader.error("proxy_protocol",
                 "the PROXY protocol comes before a TCP stream; this listener has a udp:// "
                 "address (give UDP a listener of its own)");
  }
  if (kind) {
    listener.service = kind->configure(reader, traits);
  } else {
    // Without a kind, a key is unknown only if no kind knows it.
    for (const ListenerKind* any_kind : kinds) {
      for (const std::string_view key : any_kind->keys)
        reader.allow(key);
    }
  }
  reader.finish();
  if (errors.size() != errors_before || !kind || !listener.service) return std::nullopt;
  return listener;
}

// The `listeners` list of one file, into reading.listeners. `required`: whether the file must
// have one or more.
void read_listeners(MappingReader& reader, std::size_t file, Reading& reading, bool required) {
  const YAML::Node listeners = reader.find("listeners");
  if (!listeners.IsDefined()) {
    if (required) reader.error("listeners", "missing (this key is required: a list of listeners)");
    return;
  }
  if (!listeners.IsSequence() || (required && listeners.size() == 0)) {
    reader.error("listeners", "expected a list of one or more listeners, got " +
                                  (listeners.IsSequence() ? std::string("an empty list")
                                                          : describe_node(listeners)));
    return;
  }
  reading.entries += listeners.size();
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    auto listener = read_listener(listeners[i], i, file, reading);
    if (listener) reading.listeners.push_back(std::move(*listener));
  }
}

// One glob pattern of `include:`, and where it is written.
struct IncludePattern {
  std::string text;
  std::string path;  // include or include[i]
  YAML::Mark mark;
};

// `include:`: one glob pattern or a list of them.
std::vector<IncludePattern> read_include(MappingReader& reader, const YAML::Node& include) {
  std::vector<IncludePattern> patterns;
  const auto add = [&](const YAML::Node& node, std::string path) {
    if (!node.IsScalar() || node.Scalar().empty()) {
      reader.error_at(node, path,
                      "expected a file name pattern such as conf.d/*.yaml, got " +
                          (node.IsScalar() ? std::string("an empty string") : describe_node(node)));
    } else {
      patterns.push_back({node.Scalar(), std::move(path), node.Mark()});
    }
  };
  if (include.IsSequence()) {
    if (include.size() == 0) {
      reader.error("include", "empty: expected one or more file name patterns");
    }
    for (std::size_t i = 0; i < include.size(); ++i)
      add(include[i], "include[" + std::to_string(i) + ']');
  } else {
    add(include, "include");
  }
  return patterns;
}

// Whether a file's document is a mapping, as the main file and a drop-in must be; if not, why.
bool is_mapping(const YAML::Node& root, ConfigErrors& errors) {
  if (root.IsMap()) return true;
  if (root.IsNull()) {
    errors.add_whole_file("the file is empty: expected a mapping with a \"listeners\" list");
  } else {
    errors.add(root.Mark(), "",
               "expected a mapping with a \"listeners\" list, got " + describe_node(root));
  }
  return false;
}

// What the main file says: its settings (its listeners go to Reading) and what it includes.
struct MainFile {
  std::shared_ptr<Config> config;     // null when the file is no mapping
  std::optional<YAML::Mark> include;  // where `include:` is, when the file has it
  std::vector<IncludePattern> patterns;
};

MainFile read_main(const YAML::Node& root, Reading& reading) {
  ConfigErrors& errors = reading.files.front();
  if (!is_mapping(root, errors)) return {};
  MainFile main;
  auto& config = main.config = std::make_shared<Config>();
  config->file = errors.file();
  MappingReader reader(root, "", errors);

  const unsigned cpus = std::max(1U, std::thread::hardware_concurrency());
  config->threads = static_cast<unsigned>(reader.integer("threads", 1, kMaxThreads).value_or(cpus));
  if (auto level = reader.string("log_level")) {
    if (auto parsed = parse_log_level(*level)) {
      config->log_level = *parsed;
    } else {
      reader.error("log_level", "unknown level \"" + *level +
                                    "\" (expected trace, debug, info, warning or error)");
    }
  }
  if (auto target = reader.string("log_target")) {
    if (auto parsed = parse_log_target(*target)) {
      config->log_target = *parsed;
    } else {
      reader.error("log_target",
                   "unknown target \"" + *target + "\" (expected auto, journal or console)");
    }
  }
  config->shutdown_timeout = reader.duration("shutdown_timeout", std::chrono::milliseconds(0))
                                 .value_or(config->shutdown_timeout);
  config->stop_delay = reader.duration("stop_delay", std::chrono::milliseconds(0));
  if (config->stop_delay > kMaxStopDelay) {
    reader.error("stop_delay", "longer than 60s: a stop must end within systemd's TimeoutStopSec=");
  }

  if (const YAML::Node node = reader.find("defaults"); node.IsDefined()) {
    if (node.IsMap()) {
      MappingReader defaults_reader(node, "defaults", errors);
      reading.defaults = read_limits(defaults_reader, {});
      defaults_reader.finish();
    } else {
      reader.error("defaults",
                   "expected a mapping of limits (max_connections, max_per_source, "
                   "rate_limit, allow, deny, udp_rate_per_source, udp_rate), got " +
                       describe_node(node));
    }
  }

  // With `include:`, the listeners may all be in drop-ins.
  if (const YAML::Node include = reader.find("include"); include.IsDefined()) {
    main.include = include.Mark();
    main.patterns = read_include(reader, include);
  }
  read_listeners(reader, 0, reading, !main.include);
  reader.finish();
  reading.main_keys = reader.known_keys();
  return main;
}

// A drop-in: a `listeners` list and nothing else.
void read_drop_in(const YAML::Node& root, std::size_t file, Reading& reading) {
  ConfigErrors& errors = reading.files[file];
  if (!is_mapping(root, errors)) return;
  MappingReader reader(root, "", errors);
  for (const std::string& key : reading.main_keys) {
    if (key == "listeners") continue;
    reader.reject(key, "belongs in the main file, " + reading.files.front().file() +
                           " (a drop-in holds only \"listeners\")");
  }
  read_listeners(reader, file, reading, true);
  reader.finish();
}

// Where a document of a YAML stream starts, and its first node; its nodes are not kept.
class DocumentStart final : public YAML::EventHandler {
 public:
  YAML::Mark start;
  std::optional<YAML::Mark> node;

  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { seen(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { seen(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    seen(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    seen(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    seen(mark);
  }
  void OnMapEnd() override {}

 private:
  void seen(const YAML::Mark& mark) {
    if (!node) node = mark;
  }
};

// What is wrong with a stream of more than one document: where, and the message. Reads three
// documents at most, never the whole stream: yaml-cpp 0.7 (Debian 12's) reads a ',' outside
// brackets at the start of a line (a file that is just ",") as an endless run of empty
// documents that never get past it, which YAML::LoadAll collected until memory ran out. Two
// documents in a row that start at the same place are that, and reported as the syntax error
// it is. Throws YAML::Exception for a syntax error in any of them.
std::optional<std::pair<YAML::Mark, std::string>> extra_document(const std::string& text) {
  std::istringstream input(text);
  YAML::Parser parser(input);
  std::array<DocumentStart, 3> documents;
  std::size_t count = 0;
  while (count < documents.size() && parser.HandleNextDocument(documents[count])) {
    ++count;
    if (count >= 2 && documents[count - 1].start.pos == documents[count - 2].start.pos) {
      // The parser stopped where it was: at a character no YAML node begins with.
      const YAML::Mark& stuck = documents[count - 1].start;
      const auto pos = static_cast<std::size_t>(stuck.pos);
      const auto byte = pos < text.size() ? static_cast<unsigned char>(text[pos]) : 0;
      std::string what = "unexpected character";
      if (byte > 0x20 && byte < 0x7f) {
        what = std::string("unexpected '") + static_cast<char>(byte) + "'";
      } else if (pos < text.size()) {
        what = fmt::format("unexpected byte 0x{:02X}", byte);
      }
      return std::pair(stuck, "YAML syntax error: " + what);
    }
  }
  if (count < 2) return std::nullopt;
  return std::pair(documents[1].node.value_or(documents[1].start),
                   "more than one YAML document; expected exactly one");
}

// The one YAML document of a file's text, or nullopt with its syntax error in `errors`.
std::optional<YAML::Node> parse_document(const std::string& text, ConfigErrors& errors) {
  try {
    // The first document (a null node when there is none), and then whether there is another.
    YAML::Node root = YAML::Load(text);
    if (auto extra = extra_document(text)) {
      errors.add(extra->first, "", std::move(extra->second));
      return std::nullopt;
    }
    return root;
  } catch (const YAML::Exception& e) {
    errors.add(e.mark, "", "YAML syntax error: " + e.msg);
    return std::nullopt;
  }
}

// The whole text of the file at `path`, or nullopt with why not in `errors`.
std::optional<std::string> read_text(const std::filesystem::path& path, ConfigErrors& errors) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    errors.add_whole_file("cannot read: it is a directory");
    return std::nullopt;
  }
  std::ifstream file(path, std::ios::binary);
  if (file) {
    std::ostringstream text;
    text << file.rdbuf();
    if (!file.bad()) return text.str();
  }
  errors.add_whole_file("cannot read: " + std::string(std::strerror(errno)));
  return std::nullopt;
}

// Reads the drop-ins that `patterns` name, each once and in order, into `reading` and `config`.
void read_drop_ins(const std::vector<IncludePattern>& patterns, Reading& reading, Config& config) {
  const std::filesystem::path main_file = config.file;
  for (const IncludePattern& pattern : patterns) {
    auto matches = expand_include(pattern.text, main_file);
    if (auto* why = std::get_if<std::string>(&matches)) {
      reading.files.front().add(pattern.mark, pattern.path, *why);
      continue;
    }
    for (const std::string& path : std::get<std::vector<std::string>>(matches)) {
      // A file two patterns match is read once; `include: "*.yaml"` beside the main file does
      // not read the main file again.
      std::error_code ec;
      if (std::ranges::find(config.drop_ins, path) != config.drop_ins.end() ||
          std::filesystem::equivalent(path, main_file, ec)) {
        continue;
      }
      config.drop_ins.push_back(path);
      const std::size_t file = reading.files.size();
      ConfigErrors& errors = reading.files.emplace_back(path);
      if (auto text = read_text(path, errors)) {
        if (auto root = parse_document(*text, errors)) read_drop_in(*root, file, reading);
      }
    }
  }
}

// `text` is the main file's. With `drop_ins`, the files its `include:` names are read too;
// without, none is, as if each pattern matched nothing.
LoadResult load(const std::string& text, const std::string& file_name, ListenerKinds kinds,
                bool drop_ins) {
  Reading reading(kinds, file_name);
  std::shared_ptr<Config> config;
  if (auto root = parse_document(text, reading.files.front())) {
    MainFile main = read_main(*root, reading);
    config = main.config;
    if (config && drop_ins) read_drop_ins(main.patterns, reading, *config);
    if (main.include && reading.entries == 0) {
      reading.files.front().add(*main.include, "include",
                                "no listeners: the main file has none, and no file this names "
                                "defines one (at least one is required)");
    }
  }
  report_clashes(reading);

  LoadResult result;
  for (ConfigErrors& file : reading.files) {
    auto errors = file.take();
    // Checks run key by key, but a user reads each file top to bottom.
    std::stable_sort(errors.begin(), errors.end(), [](const ConfigError& a, const ConfigError& b) {
      return std::pair(a.line, a.column) < std::pair(b.line, b.column);
    });
    std::ranges::move(errors, std::back_inserter(result.errors));
  }
  if (result.errors.empty() && config) {
    config->listeners = std::move(reading.listeners);
    result.config = std::move(config);
  }
  return result;
}

}  // namespace

LoadResult parse_config(std::string_view text, const std::string& file_name, ListenerKinds kinds) {
  return load(std::string(text), file_name, kinds, false);
}

LoadResult load_config_file(const std::filesystem::path& path, ListenerKinds kinds) {
  ConfigErrors errors(path.string());
  const auto text = read_text(path, errors);
  if (!text) return LoadResult{nullptr, errors.take()};
  return load(*text, path.string(), kinds, true);
}

std::string describe_files(const Config& config) {
  const auto& drop_ins = config.drop_ins;
  if (drop_ins.empty()) return config.file;
  std::string out = config.file + " + " + std::to_string(drop_ins.size()) +
                    (drop_ins.size() == 1 ? " drop-in (" : " drop-ins (");
  for (std::size_t i = 0; i < drop_ins.size(); ++i)
    out += (i ? ", " : "") + drop_ins[i];
  return out + ')';
}

}  // namespace netsvcd::config
