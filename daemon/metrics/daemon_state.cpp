#include "metrics/daemon_state.hpp"

namespace netsvcd::metrics {

std::string_view to_string(Phase phase) {
  switch (phase) {
    case Phase::starting:
      return "starting";
    case Phase::ready:
      return "ready";
    case Phase::reloading:
      return "reloading";
    case Phase::stopping:
      return "stopping";
  }
  return "unknown";
}

void DaemonState::config_loaded(std::string file, std::vector<ListenerView> listeners,
                                bool reload) {
  const std::lock_guard lock(mutex_);
  config_file_ = std::move(file);
  listeners_ = std::move(listeners);
  loaded_ = SystemClock::now();
  ++generation_;
  if (reload) ++reloads_succeeded_;
}

DaemonState::Snapshot DaemonState::snapshot() const {
  Snapshot snapshot;
  snapshot.phase = phase();
  snapshot.started = started_;
  snapshot.reloads_failed = reloads_failed_.load(std::memory_order_relaxed);
  const std::lock_guard lock(mutex_);
  snapshot.config_file = config_file_;
  snapshot.generation = generation_;
  snapshot.loaded = loaded_;
  snapshot.reloads_succeeded = reloads_succeeded_;
  snapshot.listeners = listeners_;
  return snapshot;
}

DaemonState& daemon_state() {
  static DaemonState state;
  return state;
}

}  // namespace netsvcd::metrics
