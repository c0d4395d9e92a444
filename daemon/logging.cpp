#include "logging.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <utility>

#include <spdlog/sinks/sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "systemd/journal_sink.hpp"

namespace netsvcd {
namespace {

constexpr const char* kConsolePattern = "%Y-%m-%d %H:%M:%S.%e %^%l%$ %v";
// The journal sink's pattern, for the lines it must write to stderr when the journal refuses
// them: the console's, without colour.
constexpr const char* kPlainPattern = "%Y-%m-%d %H:%M:%S.%e %l %v";

// The default logger's one sink: it hands each record to the sink of the current target, which
// set_log_target() swaps while other threads log. The default logger itself is made once and
// never replaced: spdlog::info() reaches it through a raw pointer taken without a lock, so
// spdlog::set_default_logger must not race with logging (spdlog.h says so), and a logger's
// sinks vector has no lock either.
class TargetSink final : public spdlog::sinks::sink {
 public:
  explicit TargetSink(spdlog::sink_ptr target) : target_(std::move(target)) {}

  void switch_to(spdlog::sink_ptr target) { target_.store(std::move(target)); }

  // load() hands out a shared_ptr: a record keeps the sink it started on alive to its end,
  // however soon the target is switched.
  void log(const spdlog::details::log_msg& msg) override { target_.load()->log(msg); }
  void flush() override { target_.load()->flush(); }
  // Each target's sink is given its pattern when it is made (make_sink), before it is shared.
  void set_pattern(const std::string&) override {}
  void set_formatter(std::unique_ptr<spdlog::formatter>) override {}

 private:
  std::atomic<spdlog::sink_ptr> target_;
};

spdlog::sink_ptr make_sink(bool journal) {
  spdlog::sink_ptr sink;
  if (journal) {
    sink = std::make_shared<systemd::JournalSink>("netsvcd");
    sink->set_pattern(kPlainPattern);
  } else {
    sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    sink->set_pattern(kConsolePattern);
  }
  return sink;
}

// What init_logging set up; mutex serialises set_log_target, and guards `journal`.
struct Logging {
  std::mutex mutex;
  std::shared_ptr<TargetSink> sink;  // set once, by init_logging
  bool stderr_is_journal = false;    // as at start-up: stderr never changes afterwards
  bool journal = false;              // the current target is the journal
};

Logging& logging() {
  static Logging state;
  return state;
}

}  // namespace

void init_logging(spdlog::level::level_enum level) {
  Logging& state = logging();
  const std::lock_guard lock(state.mutex);
  state.stderr_is_journal = systemd::stderr_is_journal();
  // Under systemd, stderr is the journal's stream anyway: without the socket, stay on it.
  state.journal = state.stderr_is_journal && systemd::journal_socket_exists();
  state.sink = std::make_shared<TargetSink>(make_sink(state.journal));
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("netsvcd", state.sink));
  set_log_level(level);
}

void set_log_target(LogTarget target) {
  Logging& state = logging();
  const std::lock_guard lock(state.mutex);
  if (!state.sink) return;
  bool journal =
      target == LogTarget::journal || (target == LogTarget::automatic && state.stderr_is_journal);
  if (journal && !systemd::journal_socket_exists()) {
    // Asked for by name: say why the lines still come here.
    if (target == LogTarget::journal) {
      spdlog::warn(
          "log_target: journal, but the journal is not running (no /run/systemd/journal/socket); "
          "logging to the console");
    }
    journal = false;
  }
  if (journal == state.journal) return;
  // Someone watching the console is told where the lines went.
  if (journal) spdlog::info("logging to the systemd journal from now on (journalctl -t netsvcd)");
  state.sink->switch_to(make_sink(journal));
  state.journal = journal;
}

void set_log_level(spdlog::level::level_enum level) {
  spdlog::set_level(level);
  // Warnings and errors must reach a pipe or the journal at once, not when a buffer fills.
  spdlog::flush_on(spdlog::level::trace);
}

}  // namespace netsvcd
