// JournalSink: a spdlog sink that writes each record to the systemd journal through its native
// protocol (sd_journal_sendv) with PRIORITY, SYSLOG_IDENTIFIER and the fields log_with() made
// current (LISTENER, PEER, CONFIG_FILE, CONFIG_LINE), so that `journalctl -p warning` and
// `journalctl LISTENER=words` work. Owned by the logger through a shared_ptr. Safe to use from
// several threads at once: see JournalSink's comment.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <string_view>

#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>

namespace netsvcd::systemd {

// The journal's PRIORITY (syslog's numbers) for a spdlog level: trace and debug 7, info 6,
// warn 4, err 3, critical 2.
int journal_priority(spdlog::level::level_enum level);

// True when stderr is the journal's stream: $JOURNAL_STREAM ("device:inode", set by systemd)
// names the file stderr is open on (systemd.exec(5)). A program whose stderr was redirected
// elsewhere keeps the variable but no longer matches it.
bool stderr_is_journal();

// True when the journal's socket exists (/run/systemd/journal/socket). sd_journal_sendv drops a
// line silently when it does not, so a target chosen by hand is checked first.
bool journal_socket_exists();

// No lock around sending (spdlog's null_mutex): each record is one sd_journal_sendv call, which
// is thread-safe (one datagram per call on a socket libsystemd opens once, atomically), and the
// sink holds no state that changes. Only the stderr fallback formats with spdlog's formatter,
// which is not thread-safe, so it and set_formatter_ (set_pattern's too) take fallback_mutex_.
class JournalSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 public:
  explicit JournalSink(std::string_view identifier);

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}  // each record is sent as it comes
  void set_formatter_(std::unique_ptr<spdlog::formatter> formatter) override;

 private:
  // A record the journal refused goes to stderr in the sink's pattern rather than nowhere; the
  // first time, with a line that says why.
  void write_to_stderr(const spdlog::details::log_msg& msg, int error);

  const std::string identifier_field_;  // "SYSLOG_IDENTIFIER=netsvcd"
  std::mutex fallback_mutex_;
  bool fallback_noted_ = false;  // guarded by fallback_mutex_
};

}  // namespace netsvcd::systemd
