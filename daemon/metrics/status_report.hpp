// StatusReport: what `netsvcd --status` prints, from a DaemonState snapshot: for each listener
// its addresses (and whether each was adopted from systemd or bound by netsvcd) and its
// connections active, accepted and rejected; the config file, its generation and when it was
// loaded. The daemon writes it as JSON over the control socket (--status --json prints that);
// the client puts the JSON into lines for people. Pure functions; safe from any thread.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "metrics/daemon_state.hpp"

namespace netsvcd::metrics {

nlohmann::json status_json(const DaemonState::Snapshot& state,
                           DaemonState::SystemClock::time_point now, long pid);

// The same as lines for a terminal; throws nlohmann::json::exception if `status` lacks a field.
std::string status_text(const nlohmann::json& status);

// "2026-11-30T20:04:05Z".
std::string rfc3339_utc(DaemonState::SystemClock::time_point time);

}  // namespace netsvcd::metrics
