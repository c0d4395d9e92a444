// Exposition: a DaemonState snapshot as Prometheus's text format (version 0.0.4), which
// prometheus-cpp's serializer writes; the names follow Prometheus's conventions (the prefix
// netsvcd_, _total on counters, base units, a `listener` label on every per-listener series).
// A pure function of the snapshot; safe from any thread.
#pragma once

#include <string>

#include "metrics/daemon_state.hpp"

namespace netsvcd::metrics {

// The Content-Type of what render_prometheus() writes.
inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

std::string render_prometheus(const DaemonState::Snapshot& state,
                              DaemonState::SystemClock::time_point now);

}  // namespace netsvcd::metrics
