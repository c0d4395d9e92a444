// The registry of listener kinds: the only place that lists them. Read-only after start-up,
// safe from any thread.
#pragma once

#include "config/listener_kind.hpp"

namespace netsvcd::services {

// Every kind, for the config loader (config::load_config_file).
config::ListenerKinds listener_kinds();

}  // namespace netsvcd::services
