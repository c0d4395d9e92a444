#include "support/journal_receiver.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace netsvcd::test {
namespace {

// libsystemd sends larger entries through a memfd instead (not needed by these tests): a
// datagram that fills this buffer is reported as truncated rather than parsed half.
constexpr std::size_t kMaxDatagram = 256 * 1024;

}  // namespace

std::vector<std::string> JournalEntry::values(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [field, value] : fields) {
    if (field == name) out.push_back(value);
  }
  return out;
}

std::string JournalEntry::message() const {
  const auto messages = values("MESSAGE");
  return messages.empty() ? std::string() : messages.front();
}

JournalEntry parse_journal_entry(std::string_view datagram) {
  const auto malformed = [&](const std::string& why) {
    return std::runtime_error("malformed journal entry (" + why + "): " + std::string(datagram));
  };
  JournalEntry entry;
  while (!datagram.empty()) {
    const auto end_of_name = datagram.find_first_of("=\n");
    if (end_of_name == std::string_view::npos) throw malformed("a field without its end");
    std::string name(datagram.substr(0, end_of_name));
    if (name.empty()) throw malformed("a field without a name");
    if (datagram[end_of_name] == '=') {
      const auto end = datagram.find('\n', end_of_name);
      if (end == std::string_view::npos) throw malformed("no newline after " + name);
      entry.fields.emplace_back(
          std::move(name), std::string(datagram.substr(end_of_name + 1, end - end_of_name - 1)));
      datagram.remove_prefix(end + 1);
      continue;
    }
    datagram.remove_prefix(end_of_name + 1);
    if (datagram.size() < 8) throw malformed("no length after " + name);
    std::uint64_t length = 0;
    for (int i = 7; i >= 0; --i)
      length = length << 8 | static_cast<unsigned char>(datagram[static_cast<std::size_t>(i)]);
    datagram.remove_prefix(8);
    if (datagram.size() < length + 1 || datagram[length] != '\n') {
      throw malformed("a value of " + name + " shorter than its length or without a newline");
    }
    entry.fields.emplace_back(std::move(name), std::string(datagram.substr(0, length)));
    datagram.remove_prefix(length + 1);
  }
  return entry;
}

JournalReceiver::JournalReceiver(const std::filesystem::path& run_directory) {
  const auto directory = run_directory / "systemd" / "journal";
  std::filesystem::create_directories(directory);
  const std::string path = (directory / "socket").string();
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) throw std::runtime_error("path too long: " + path);
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    const int error = errno;
    ::close(fd_);
    throw std::runtime_error("cannot bind " + path + ": " + std::strerror(error));
  }
}

JournalReceiver::~JournalReceiver() {
  ::close(fd_);
}

bool JournalReceiver::receive(std::chrono::milliseconds timeout) {
  pollfd fd{fd_, POLLIN, 0};
  int ready = 0;
  do {
    ready = ::poll(&fd, 1, static_cast<int>(timeout.count()));
  } while (ready < 0 && errno == EINTR);
  if (ready <= 0) return false;
  std::string buffer(kMaxDatagram, '\0');
  const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), MSG_TRUNC);
  if (n < 0) throw std::runtime_error(std::string("recv failed: ") + std::strerror(errno));
  if (static_cast<std::size_t>(n) >= buffer.size()) {
    throw std::runtime_error("a journal datagram of " + std::to_string(n) + " bytes");
  }
  buffer.resize(static_cast<std::size_t>(n));
  entries_.push_back(parse_journal_entry(buffer));
  return true;
}

std::optional<JournalEntry> JournalReceiver::wait_for(std::string_view text,
                                                      std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (std::size_t seen = 0;; ++seen) {
    while (seen == entries_.size()) {
      // Past the deadline this still takes in what is queued, without waiting.
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (!receive(std::max(left, 0ms))) return std::nullopt;
    }
    if (entries_[seen].message().find(text) != std::string::npos) return entries_[seen];
  }
}

const std::vector<JournalEntry>& JournalReceiver::entries() {
  while (receive(0ms)) {
  }
  return entries_;
}

}  // namespace netsvcd::test
