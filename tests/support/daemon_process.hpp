// DaemonProcess: the real netsvcd binary (or a real client) run as a child for an integration
// test, its stdout and stderr collected by a reader thread. Tests wait on what it logs or on its
// exit, always with a deadline, never with a fixed sleep. The destructor kills and reaps a child
// still running. Methods may be called from the test thread while the reader thread appends (a
// mutex guards the buffers).
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "support/string_makers.hpp"

namespace netsvcd::test {

using namespace std::chrono_literals;

class TempDir;

// A listening socket passed to the child as systemd would: at descriptor 3 onwards, with
// LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID set.
struct PassedFd {
  int fd;            // the test's descriptor; it stays the test's
  std::string name;  // FileDescriptorName=
};

struct LaunchOptions {
  std::string program{};                   // an absolute path; empty for the netsvcd under test
  std::optional<rlim_t> max_open_files{};  // RLIMIT_NOFILE for the child
  // When root, run the child as nobody, from a copy of the program that nobody can reach.
  bool drop_privileges = false;
  std::vector<std::string> environment{};  // "NAME=value" entries added to the child's
  std::vector<PassedFd> passed_fds{};
  std::vector<std::string> extra_args{};  // start_netsvcd: after --config and --log-level
  // When set, the child runs in a mount namespace of its own with this directory mounted over
  // /run (needs root): a test that binds <dir>/systemd/journal/socket is the child's journal.
  // The child exits 122 if the namespace cannot be made.
  std::filesystem::path run_directory = {};
  // Sets JOURNAL_STREAM to the child's stderr ("device:inode"), as systemd does when it connects
  // a service's stderr to the journal.
  bool stderr_is_journal_stream = false;
};

class DaemonProcess {
 public:
  // Starts netsvcd with `args` (not including the program name).
  explicit DaemonProcess(std::vector<std::string> args, LaunchOptions options = {});
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  pid_t pid() const { return pid_; }

  // True once stderr has a line containing `text`; false if the deadline passes or the process
  // exits first.
  bool wait_for_log(std::string_view text, std::chrono::milliseconds timeout = 10s);
  // True once stderr has `count` lines containing `text`.
  bool wait_for_log_count(std::string_view text, std::size_t count,
                          std::chrono::milliseconds timeout = 10s);
  // Lines of stderr so far that contain `text`.
  std::size_t count_log(std::string_view text) const;
  std::string err() const;
  std::string out() const;

  void signal(int signal);
  // The exit code (or 128 + signal if killed) once the process has ended, nullopt on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout = 10s);
  // SIGTERM, then wait_exit(timeout).
  std::optional<int> stop(std::chrono::milliseconds timeout = 10s);
  // Descriptors the process has open now (from /proc).
  std::size_t open_files() const;
  // Its resident memory now, in KiB (VmRSS in /proc/PID/status).
  std::size_t rss_kib() const;
  // Waits until the process has at most `count` descriptors open; false on timeout.
  bool wait_open_files_at_most(std::size_t count, std::chrono::milliseconds timeout = 10s) const;
  // Waits until the process has at least `count` descriptors open (a connection accepted).
  bool wait_open_files_at_least(std::size_t count, std::chrono::milliseconds timeout = 10s) const;

 private:
  std::string copy_for_others(const std::string& program);
  void read_output(int out_fd, int err_fd);
  bool wait_open_files(const std::function<bool(std::size_t)>& wanted,
                       std::chrono::milliseconds timeout) const;

  std::unique_ptr<TempDir> copy_dir_;  // the program's copy, when it runs as nobody
  pid_t pid_ = -1;
  int pidfd_ = -1;
  std::optional<int> exit_code_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::string out_;      // guarded by mutex_
  std::string err_;      // guarded by mutex_
  bool closed_ = false;  // both pipes at EOF; guarded by mutex_
  std::thread reader_;
};

// Runs netsvcd to its end (for --check-config, --version, start-up failures).
struct RunResult {
  int exit_code;
  std::string out;
  std::string err;
};
RunResult run_netsvcd(std::vector<std::string> args, std::chrono::milliseconds timeout = 20s);
// Runs another program (a real client such as /usr/bin/curl) to its end.
RunResult run_program(std::string program, std::vector<std::string> args,
                      std::chrono::milliseconds timeout = 20s);

// The netsvcd binary under test.
std::string netsvcd_binary();

// Writes `yaml` to netsvcd.yaml in `dir`, starts netsvcd on it with --log-level debug and waits
// for its "ready" line; throws with everything it logged if it is not ready within 10 s.
std::unique_ptr<DaemonProcess> start_netsvcd(const TempDir& dir, std::string_view yaml,
                                             LaunchOptions options = {});

}  // namespace netsvcd::test
