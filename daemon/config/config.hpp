// Config: a validated configuration, as typed values. Built only by the loader (loader.hpp),
// never changed afterwards, and shared read-only (shared_ptr<const Config>) by every thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/common.h>

#include "config/endpoint.hpp"
#include "config/limits.hpp"
#include "log_settings.hpp"

namespace netsvcd::services {
class Service;
}

namespace netsvcd::config {

struct ListenerConfig {
  std::string name;                 // unique, [a-z0-9_-]+
  std::string kind;                 // a registered kind (services/registry.hpp)
  std::vector<Endpoint> endpoints;  // at least one, none clashing with any other listener's
  bool v6only = false;
  std::chrono::milliseconds write_timeout{std::chrono::seconds(10)};
  Limits limits;  // its own keys, or the top level's `defaults:`
  // proxy_protocol: true: each connection starts with a PROXY header naming the client, which
  // only the networks in proxy_from (never empty then) may send.
  bool proxy_protocol = false;
  std::vector<Cidr> proxy_from;
  // The kind's own settings, ready to serve connections; immutable.
  std::shared_ptr<const services::Service> service;
  std::string file;  // where it is defined: the main file or a drop-in, as Config names them
  int line = 0;      // where the listener starts in that file, for messages
};

struct Config {
  std::string file;  // as the user named it
  // The drop-ins its `include:` named, in the order read: its directory as in `file`, joined to
  // the pattern ("/etc/netsvcd/conf.d/50-daytime.yaml").
  std::vector<std::string> drop_ins;
  unsigned threads = 1;
  spdlog::level::level_enum log_level = spdlog::level::info;
  LogTarget log_target = LogTarget::automatic;
  // How long a stop waits for connections in flight before closing them.
  std::chrono::milliseconds shutdown_timeout{std::chrono::seconds(5)};
  // How long a stop keeps every port serving after /healthz turns to 503, so that a load
  // balancer stops sending first; unset: 1 s when a metrics listener exists, else 0.
  std::optional<std::chrono::milliseconds> stop_delay;
  std::vector<ListenerConfig> listeners;  // the main file's, then each drop-in's
};

}  // namespace netsvcd::config
