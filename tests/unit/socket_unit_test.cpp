// systemd/netsvcd.socket against config/netsvcd.yaml: the socket unit must offer exactly the
// shipped config's listening sockets (address, port, v6only), or netsvcd would bind beside
// sockets systemd holds. The config is read by the daemon's own loader, and each ListenStream=
// (and ListenDatagram=, as udp://) by the same listen parser, so both sides name a socket the way
// netsvcd matches them.
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <catch2/catch.hpp>

#include "config/endpoint.hpp"
#include "config/loader.hpp"
#include "services/registry.hpp"

#include "support/string_makers.hpp"

namespace {

using netsvcd::config::Endpoint;

const std::string kSocketUnit = NETSVCD_SOURCE_DIR "/systemd/netsvcd.socket";
const std::string kShippedConfig = NETSVCD_SOURCE_DIR "/config/netsvcd.yaml";

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return "";
  const auto last = text.find_last_not_of(" \t\r");
  return std::string(text.substr(first, last - first + 1));
}

// The [Socket] section of a unit file as key ► values in file order: enough of systemd's syntax
// for this file (comments, sections, "Key=value"; an empty value resets a list such as
// ListenStream=, as in systemd). A continued line fails the test rather than being misread.
std::map<std::string, std::vector<std::string>> socket_section(const std::string& path) {
  std::ifstream in(path);
  if (!in) FAIL("cannot read " << path);
  std::map<std::string, std::vector<std::string>> entries;
  std::string section;
  std::string raw;
  int line_number = 0;
  while (std::getline(in, raw)) {
    ++line_number;
    const std::string line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.back() == '\\') FAIL(path << ":" << line_number << ": continued lines are not parsed");
    if (line.front() == '[') {
      section = line;
      continue;
    }
    const auto equals = line.find('=');
    if (equals == std::string::npos) FAIL(path << ":" << line_number << ": no '=' in " << line);
    if (section != "[Socket]") continue;
    const std::string key = trim(std::string_view(line).substr(0, equals));
    const std::string value = trim(std::string_view(line).substr(equals + 1));
    if (value.empty()) {
      entries[key].clear();
    } else {
      entries[key].push_back(value);
    }
  }
  return entries;
}

}  // namespace

TEST_CASE("netsvcd.socket offers exactly the shipped config's listening sockets",
          "[systemd][unit]") {
  auto loaded =
      netsvcd::config::load_config_file(kShippedConfig, netsvcd::services::listener_kinds());
  for (const auto& error : loaded.errors)
    UNSCOPED_INFO(netsvcd::config::to_string(error));
  REQUIRE(loaded.errors.empty());
  std::set<Endpoint> from_config;
  for (const auto& listener : loaded.config->listeners) {
    from_config.insert(listener.endpoints.begin(), listener.endpoints.end());
  }

  const auto socket = socket_section(kSocketUnit);
  for (const auto& [key, values] : socket) {
    INFO(key << "= in " << kSocketUnit);
    // netsvcd serves TCP and UDP, from one process that accepts for itself.
    if (key.starts_with("Listen")) CHECK((key == "ListenStream" || key == "ListenDatagram"));
    if (key == "Accept") CHECK((values.back() == "no" || values.back() == "false"));
  }

  // BindIPv6Only= sets IPV6_V6ONLY on the unit's IPv6 sockets; "default" would leave it to a
  // sysctl, so the unit must say.
  const auto bind_ipv6_only = socket.find("BindIPv6Only");
  REQUIRE(bind_ipv6_only != socket.end());
  const std::string mode = bind_ipv6_only->second.back();
  REQUIRE((mode == "both" || mode == "ipv6-only"));
  const bool v6only = mode == "ipv6-only";

  std::vector<Endpoint> from_unit;
  for (const auto& [key, scheme] :
       {std::pair{"ListenStream", ""}, std::pair{"ListenDatagram", "udp://"}}) {
    const auto listen = socket.find(key);
    if (listen == socket.end()) continue;
    for (const auto& text : listen->second) {
      // The same parser as a config's listen entry, so "[::1]:8013" is the same identity on both
      // sides (a specific IPv6 address counts as v6only whatever BindIPv6Only= says).
      auto resolved = netsvcd::config::resolve_listen(scheme + text, v6only);
      INFO(key << "=" << text);
      if (const auto* message = std::get_if<std::string>(&resolved)) FAIL(*message);
      const auto& endpoints = std::get<std::vector<Endpoint>>(resolved);
      REQUIRE(endpoints.size() == 1);
      from_unit.push_back(endpoints.front());
    }
  }
  REQUIRE(!from_unit.empty());

  const std::set<Endpoint> unit_set(from_unit.begin(), from_unit.end());
  CHECK(unit_set.size() == from_unit.size());  // no address twice
  CHECK(unit_set == from_config);
}
