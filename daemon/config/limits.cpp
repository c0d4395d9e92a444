#include "config/limits.hpp"

#include <yaml-cpp/yaml.h>

#include "config/mapping_reader.hpp"

namespace netsvcd::config {
namespace {

// Past any descriptor limit a kernel allows.
constexpr std::int64_t kMaxCount = 100'000'000;

}  // namespace

std::optional<std::vector<Cidr>> read_networks(MappingReader& reader, std::string_view key) {
  const YAML::Node node = reader.find(key);
  if (!node.IsDefined()) return std::nullopt;
  std::vector<std::pair<YAML::Node, std::string>> entries;
  if (node.IsScalar()) {
    entries.emplace_back(node, reader.path_of(key));
  } else if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i)
      entries.emplace_back(node[i], reader.path_of(key) + '[' + std::to_string(i) + ']');
  } else {
    reader.error(key,
                 "expected a list of addresses or networks such as [\"127.0.0.0/8\", "
                 "\"::1\"], got " +
                     describe_node(node));
    return std::vector<Cidr>{};
  }
  std::vector<Cidr> cidrs;
  for (const auto& [entry, path] : entries) {
    if (!entry.IsScalar()) {
      reader.error_at(entry, path, "expected an address or network, got " + describe_node(entry));
      continue;
    }
    auto parsed = parse_cidr(entry.Scalar());
    if (auto* message = std::get_if<std::string>(&parsed)) {
      reader.error_at(entry, path, *message);
      continue;
    }
    cidrs.push_back(std::get<Cidr>(parsed));
  }
  return cidrs;
}

namespace {

void read_rate(MappingReader& reader, std::string_view key, std::optional<Rate>& rate) {
  auto text = reader.string(key);
  if (!text) return;
  auto parsed = parse_rate(*text);
  if (auto* message = std::get_if<std::string>(&parsed)) {
    reader.error(key, *message);
  } else {
    rate = std::get<Rate>(parsed);
  }
}

}  // namespace

Limits read_limits(MappingReader& reader, const Limits& defaults) {
  Limits limits = defaults;
  if (auto value = reader.integer("max_connections", 1, kMaxCount)) limits.max_connections = *value;
  if (auto value = reader.integer("max_per_source", 1, kMaxCount)) limits.max_per_source = *value;
  read_rate(reader, "rate_limit", limits.rate_limit);
  if (auto allow = read_networks(reader, "allow")) limits.allow = std::move(*allow);
  if (auto deny = read_networks(reader, "deny")) limits.deny = std::move(*deny);
  read_rate(reader, "udp_rate_per_source", limits.udp_rate_per_source);
  read_rate(reader, "udp_rate", limits.udp_rate);
  return limits;
}

}  // namespace netsvcd::config
