// ListenerKind: what the config loader knows of one kind of listener: its name, the keys it reads
// beyond the common ones, and how to read them into a ready service. The kinds live in
// services/, whose registry lists them; the loader is handed that list, so that config/ never
// reaches up into services/. Plain values, read-only, safe everywhere.
#pragma once

#include <memory>
#include <span>
#include <string_view>

namespace netsvcd::services {
class Service;
}

namespace netsvcd::config {

class MappingReader;

// What a kind is told of the listener it configures, beyond the listener's own keys.
struct ListenerTraits {
  bool datagrams = false;  // it has udp:// addresses
};

struct ListenerKind {
  std::string_view name;
  // The keys the kind reads beyond the common ones, so that a listener whose kind is misspelt
  // still has its other keys checked.
  std::span<const std::string_view> keys;
  // Whether the kind can answer datagrams (udp:// addresses): one datagram back for each one
  // received (services::MessageService).
  bool datagrams = false;
  // Reads the kind's own keys from a listener's mapping and returns the configured service, or
  // nullptr after reporting every problem through `options`.
  std::shared_ptr<const services::Service> (*configure)(MappingReader& options,
                                                        const ListenerTraits& listener);
};

// Every kind a config may name.
using ListenerKinds = std::span<const ListenerKind* const>;

}  // namespace netsvcd::config
