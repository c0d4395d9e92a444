#include "systemd/journal_sink.hpp"

#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

// Without it, sd_journal_sendv is a macro that adds CODE_FILE/CODE_LINE of this file, which
// would tell a reader of the journal nothing.
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include <spdlog/pattern_formatter.h>

#include "log.hpp"

namespace netsvcd::systemd {
namespace {

constexpr const char* kJournalSocket = "/run/systemd/journal/socket";

// Parses all of `text` as a decimal number; nullopt if anything else is there.
std::optional<std::uint64_t> parse_decimal(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// Writes all of `data` to stderr; a stderr that is gone loses it, as it would any other line.
void write_all_to_stderr(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

int journal_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return 7;  // LOG_DEBUG
    case spdlog::level::info:
      return 6;  // LOG_INFO
    case spdlog::level::warn:
      return 4;  // LOG_WARNING
    case spdlog::level::err:
      return 3;  // LOG_ERR
    case spdlog::level::critical:
      return 2;  // LOG_CRIT
    default:
      return 6;  // off is never logged
  }
}

bool stderr_is_journal() {
  const char* value = std::getenv("JOURNAL_STREAM");
  if (value == nullptr) return false;
  const std::string_view text(value);
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  const auto device = parse_decimal(text.substr(0, colon));
  const auto inode = parse_decimal(text.substr(colon + 1));
  struct stat st {};
  if (!device || !inode || ::fstat(STDERR_FILENO, &st) != 0) return false;
  return static_cast<std::uint64_t>(st.st_dev) == *device &&
         static_cast<std::uint64_t>(st.st_ino) == *inode;
}

bool journal_socket_exists() {
  struct stat st {};
  return ::stat(kJournalSocket, &st) == 0 && S_ISSOCK(st.st_mode);
}

JournalSink::JournalSink(std::string_view identifier)
    : identifier_field_("SYSLOG_IDENTIFIER=" + std::string(identifier)) {}

void JournalSink::sink_it_(const spdlog::details::log_msg& msg) {
  // One field an iovec, "NAME=value": sd_journal_sendv copes with any bytes in a value (a
  // newline included), where sd_journal_send would read the message as a printf format.
  std::array<std::string, 6> fields;
  std::size_t count = 0;
  const auto add = [&](std::string_view name, std::string_view value) {
    std::string& field = fields[count++];
    field.reserve(name.size() + 1 + value.size());
    field.append(name).append(1, '=').append(value);
  };
  add("MESSAGE", std::string_view(msg.payload.data(), msg.payload.size()));
  add("PRIORITY", std::to_string(journal_priority(msg.level)));
  // The fields of log_with(), made current by the thread that logs: spdlog calls sinks in that
  // same thread (the logger is synchronous).
  if (const LogFields* current = current_log_fields()) {
    if (!current->listener.empty()) add("LISTENER", current->listener);
    if (!current->peer.empty()) add("PEER", current->peer);
    if (!current->config_file.empty()) add("CONFIG_FILE", current->config_file);
    if (current->config_line > 0) add("CONFIG_LINE", std::to_string(current->config_line));
  }
  std::array<iovec, 7> iov{};
  for (std::size_t i = 0; i < count; ++i) {
    iov[i] = {fields[i].data(), fields[i].size()};
  }
  // sd_journal_sendv only reads the iovecs; iovec has no const.
  iov[count] = {const_cast<char*>(identifier_field_.data()), identifier_field_.size()};
  const int result = sd_journal_sendv(iov.data(), static_cast<int>(count + 1));
  if (result < 0) write_to_stderr(msg, -result);
}

void JournalSink::set_formatter_(std::unique_ptr<spdlog::formatter> formatter) {
  const std::lock_guard lock(fallback_mutex_);
  formatter_ = std::move(formatter);
}

void JournalSink::write_to_stderr(const spdlog::details::log_msg& msg, int error) {
  const std::lock_guard lock(fallback_mutex_);
  if (!fallback_noted_) {
    fallback_noted_ = true;
    write_all_to_stderr("netsvcd: cannot write to the journal (" +
                        std::generic_category().message(error) +
                        "); writing log lines to stderr instead\n");
  }
  spdlog::memory_buf_t line;
  formatter_->format(msg, line);
  write_all_to_stderr(std::string_view(line.data(), line.size()));
}

}  // namespace netsvcd::systemd
