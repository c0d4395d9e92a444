// The registry of listener kinds: the only place that lists them. Read-only after start-up,
// safe from any thread.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "services/service.hpp"

namespace netsvcd::services {

std::span<const ServiceKind* const> service_kinds();

// The kind called `name`, or nullptr.
const ServiceKind* find_service_kind(std::string_view name);

// "hello, time" for messages.
std::string service_kind_names();

}  // namespace netsvcd::services
