// JournalReceiver: stands in for journald's native socket in an integration test. It binds an
// AF_UNIX datagram socket at <run directory>/systemd/journal/socket, so that a netsvcd started
// with LaunchOptions::run_directory set to the same directory (which it sees as /run) sends its
// journal entries here, and parses each datagram as the native journal protocol
// (systemd.journal-fields(7), "Native Journal Protocol"). Owns its socket; used by one thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace netsvcd::test {

using namespace std::chrono_literals;

struct JournalEntry {
  std::vector<std::pair<std::string, std::string>> fields;  // in the order sent

  // Every value of `name`, in order: the protocol lets a field repeat, and a test that expects
  // one value should see that there is exactly one.
  std::vector<std::string> values(std::string_view name) const;
  // The first MESSAGE, or "" if there is none.
  std::string message() const;
};

// One datagram ► its fields: "NAME=value\n", or for a value that may hold any byte
// "NAME\n" + its length as 64-bit little-endian + the value + "\n". Throws std::runtime_error
// if the datagram is not in that form.
JournalEntry parse_journal_entry(std::string_view datagram);

class JournalReceiver {
 public:
  // Creates <run_directory>/systemd/journal/ and binds the socket there.
  explicit JournalReceiver(const std::filesystem::path& run_directory);
  ~JournalReceiver();
  JournalReceiver(const JournalReceiver&) = delete;
  JournalReceiver& operator=(const JournalReceiver&) = delete;

  // The first entry whose MESSAGE contains `text`, among those received before or until the
  // deadline; nullopt if none came.
  std::optional<JournalEntry> wait_for(std::string_view text,
                                       std::chrono::milliseconds timeout = 10s);
  // Every entry received so far, after taking in, without waiting, what is queued now. Once the
  // sender has exited, everything it sent is queued: the list is then complete.
  const std::vector<JournalEntry>& entries();

 private:
  // Takes in one datagram; false if none came within `timeout`.
  bool receive(std::chrono::milliseconds timeout);

  int fd_ = -1;
  std::vector<JournalEntry> entries_;
};

}  // namespace netsvcd::test
