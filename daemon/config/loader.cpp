#include "config/loader.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "config/limits.hpp"
#include "config/mapping_reader.hpp"
#include "log_settings.hpp"

namespace netsvcd::config {
namespace {

constexpr std::int64_t kMaxThreads = 1024;
constexpr std::size_t kMaxNameLength = 64;

bool valid_listener_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameLength &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
         });
}

// Where each endpoint came from, to name both sides of a clash.
struct EndpointOrigin {
  Endpoint endpoint;
  std::string listener;
  std::string path;  // listeners[i].listen[j]
  std::string text;  // the entry as written
  YAML::Mark mark;
};

std::vector<Endpoint> read_listen(MappingReader& reader, bool v6only,
                                  std::vector<EndpointOrigin>& origins, const std::string& name) {
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
    // resolve_listen gives each address once; the same address in two entries is a clash.
    for (const Endpoint& endpoint : std::get<std::vector<Endpoint>>(resolved)) {
      endpoints.push_back(endpoint);
      origins.push_back({endpoint, name, path, node.Scalar(), node.Mark()});
    }
  }
  return endpoints;
}

void report_clashes(const std::vector<EndpointOrigin>& origins, ConfigErrors& errors) {
  for (std::size_t later = 0; later < origins.size(); ++later) {
    for (std::size_t earlier = 0; earlier < later; ++earlier) {
      const auto& a = origins[earlier];
      const auto& b = origins[later];
      if (const auto why = bind_conflict(a.endpoint, b.endpoint)) {
        errors.add(b.mark, b.path,
                   '"' + b.text + "\" of listener " + b.listener + " cannot be bound beside \"" +
                       a.text + "\" of listener " + a.listener + " (" + a.path + ", line " +
                       std::to_string(a.mark.line + 1) + "): " + *why);
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

// Listener names seen so far, and the line of each.
using NameLines = std::vector<std::pair<std::string, int>>;

const ListenerKind* find_kind(ListenerKinds kinds, std::string_view name) {
  const auto it = std::ranges::find(kinds, name, &ListenerKind::name);
  return it == kinds.end() ? nullptr : *it;
}

// "hello, time" for messages.
std::string kind_names(ListenerKinds kinds) {
  std::string names;
  for (const ListenerKind* kind : kinds) {
    if (!names.empty()) names += ", ";
    names += kind->name;
  }
  return names;
}

std::optional<ListenerConfig> read_listener(const YAML::Node& node, std::size_t index,
                                            ListenerKinds kinds, const Limits& defaults,
                                            ConfigErrors& errors,
                                            std::vector<EndpointOrigin>& origins,
                                            NameLines& names) {
  const std::string path = "listeners[" + std::to_string(index) + "]";
  if (!node.IsMap()) {
    errors.add(node.Mark(), path,
               "expected a mapping with name, kind and listen, got " + describe_node(node));
    return std::nullopt;
  }
  const std::size_t errors_before = errors.size();
  MappingReader reader(node, path, errors);
  ListenerConfig listener;
  listener.line = node.Mark().line + 1;

  if (auto name = reader.required_string("name")) {
    const auto same = std::find_if(names.begin(), names.end(),
                                   [&](const auto& seen) { return seen.first == *name; });
    if (same != names.end()) {
      reader.error("name", "duplicate listener name \"" + *name + "\" (first used at line " +
                               std::to_string(same->second) + ")");
    } else if (valid_listener_name(*name)) {
      names.emplace_back(*name, listener.line);
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
  listener.endpoints = read_listen(reader, listener.v6only, origins, listener.name);
  listener.limits = read_limits(reader, defaults);
  read_proxy_protocol(reader, listener);
  if (kind) {
    listener.service = kind->configure(reader);
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

std::shared_ptr<const Config> read_config(const YAML::Node& root, ListenerKinds kinds,
                                          ConfigErrors& errors) {
  if (!root.IsMap()) {
    if (root.IsNull()) {
      errors.add_whole_file("the file is empty: expected a mapping with a \"listeners\" list");
    } else {
      errors.add(root.Mark(), "",
                 "expected a mapping with a \"listeners\" list, got " + describe_node(root));
    }
    return nullptr;
  }
  auto config = std::make_shared<Config>();
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

  Limits defaults;
  if (const YAML::Node node = reader.find("defaults"); node.IsDefined()) {
    if (node.IsMap()) {
      MappingReader defaults_reader(node, "defaults", errors);
      defaults = read_limits(defaults_reader, {});
      defaults_reader.finish();
    } else {
      reader.error("defaults",
                   "expected a mapping of limits (max_connections, max_per_source, "
                   "rate_limit, allow, deny), got " +
                       describe_node(node));
    }
  }

  const YAML::Node listeners = reader.find("listeners");
  std::vector<EndpointOrigin> origins;
  if (!listeners.IsDefined()) {
    reader.error("listeners", "missing (this key is required: a list of listeners)");
  } else if (!listeners.IsSequence() || listeners.size() == 0) {
    reader.error("listeners", "expected a list of one or more listeners, got " +
                                  (listeners.IsSequence() ? std::string("an empty list")
                                                          : describe_node(listeners)));
  } else {
    NameLines names;
    for (std::size_t i = 0; i < listeners.size(); ++i) {
      auto listener = read_listener(listeners[i], i, kinds, defaults, errors, origins, names);
      if (listener) config->listeners.push_back(std::move(*listener));
    }
  }
  reader.finish();
  report_clashes(origins, errors);
  return errors.empty() ? config : nullptr;
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

}  // namespace

LoadResult parse_config(std::string_view text, const std::string& file_name, ListenerKinds kinds) {
  ConfigErrors errors(file_name);
  std::shared_ptr<const Config> config;
  try {
    const std::string yaml(text);
    // The first document (a null node when there is none), and then whether there is another.
    const YAML::Node root = YAML::Load(yaml);
    if (auto extra = extra_document(yaml)) {
      errors.add(extra->first, "", std::move(extra->second));
    } else {
      config = read_config(root, kinds, errors);
    }
  } catch (const YAML::Exception& e) {
    errors.add(e.mark, "", "YAML syntax error: " + e.msg);
  }
  LoadResult result;
  result.errors = errors.take();
  // Checks run key by key, but a user reads the file top to bottom.
  std::stable_sort(result.errors.begin(), result.errors.end(),
                   [](const ConfigError& a, const ConfigError& b) {
                     return std::pair(a.line, a.column) < std::pair(b.line, b.column);
                   });
  if (result.errors.empty()) result.config = std::move(config);
  return result;
}

LoadResult load_config_file(const std::filesystem::path& path, ListenerKinds kinds) {
  const auto cannot_read = [&](const std::string& why) {
    ConfigErrors errors(path.string());
    errors.add_whole_file("cannot read: " + why);
    return LoadResult{nullptr, errors.take()};
  };
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return cannot_read("it is a directory");
  std::ifstream file(path, std::ios::binary);
  if (!file) return cannot_read(std::strerror(errno));
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) return cannot_read(std::strerror(errno));
  return parse_config(text.str(), path.string(), kinds);
}

}  // namespace netsvcd::config
