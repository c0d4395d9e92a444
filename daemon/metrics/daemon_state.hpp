// DaemonState: what the daemon as a whole is doing, for the metrics listeners (/metrics,
// /healthz) and `netsvcd --status`: its phase, the config it serves and its generation, its
// reloads by result, and the listeners it runs with what each has counted. One per process
// (daemon_state()), since it describes the process: the Daemon writes it, the metrics listeners
// and the control socket read it, from any thread. The phase and the counters are atomics; the
// rest is swapped under a mutex, and snapshot() copies it out.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connection/listener_load.hpp"

namespace netsvcd::metrics {

// Where the daemon is in its life, which /healthz answers from: only `ready` is healthy.
enum class Phase { starting, ready, reloading, stopping };
std::string_view to_string(Phase phase);

// What a listener's service reports beyond the counts every listener has.
struct ServiceMetrics {
  bool http = false;  // answers HTTP requests: has requests by code and their durations
  std::optional<std::uint64_t> cache_entries;     // answers held in its cache, if it has one
  std::optional<std::uint64_t> dictionary_words;  // words in its dictionary, if it has one
};

struct ListenerView {
  struct Address {
    std::string text;      // "127.0.0.1:8013"
    bool adopted = false;  // passed by systemd (rather than bound by netsvcd)
  };
  std::string name;
  std::string kind;
  std::vector<Address> addresses;
  std::shared_ptr<connection::ListenerLoad> load;  // its counts, which outlive reloads
  std::function<ServiceMetrics()> service;
  bool datagrams = false;  // it has udp:// addresses, whose counts it reports too
};

class DaemonState {
 public:
  using SystemClock = std::chrono::system_clock;

  struct Snapshot {
    Phase phase = Phase::starting;
    SystemClock::time_point started;
    std::string config_file;
    std::uint64_t generation = 0;    // 1 for the config netsvcd started with, +1 per reload
    SystemClock::time_point loaded;  // when the config in use was put in place
    std::uint64_t reloads_succeeded = 0;
    std::uint64_t reloads_failed = 0;
    std::vector<ListenerView> listeners;
  };

  DaemonState() : started_(SystemClock::now()) {}

  void set_phase(Phase phase) { phase_.store(phase, std::memory_order_release); }
  // Moves to `to` only from `from`: a reload that ends does not undo a stop that began.
  void change_phase(Phase from, Phase to) {
    phase_.compare_exchange_strong(from, to, std::memory_order_acq_rel);
  }
  Phase phase() const { return phase_.load(std::memory_order_acquire); }

  // A config put in place, at start (`reload` false) or by a reload, with its listeners.
  void config_loaded(std::string file, std::vector<ListenerView> listeners, bool reload);
  void reload_failed() { reloads_failed_.fetch_add(1, std::memory_order_relaxed); }

  Snapshot snapshot() const;

 private:
  const SystemClock::time_point started_;
  std::atomic<Phase> phase_{Phase::starting};
  std::atomic<std::uint64_t> reloads_failed_{0};
  mutable std::mutex mutex_;
  std::string config_file_;              // guarded by mutex_
  std::uint64_t generation_ = 0;         // guarded by mutex_
  std::uint64_t reloads_succeeded_ = 0;  // guarded by mutex_
  SystemClock::time_point loaded_;       // guarded by mutex_
  std::vector<ListenerView> listeners_;  // guarded by mutex_
};

// The process's one DaemonState.
DaemonState& daemon_state();

}  // namespace netsvcd::metrics
