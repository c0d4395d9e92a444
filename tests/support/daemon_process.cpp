#include "support/daemon_process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include <fmt/format.h>

#include "support/temp_dir.hpp"

namespace netsvcd::test {
namespace {

constexpr uid_t kNobody = 65534;
constexpr int kLogLinesShown = 40;

std::size_t count_lines_with(const std::string& text, std::string_view needle) {
  std::size_t count = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (std::string_view(text).substr(start, end - start).find(needle) != std::string_view::npos) {
      ++count;
    }
    start = end + 1;
  }
  return count;
}

// The first directory on the way to `file` that other users cannot enter, or an empty path.
std::filesystem::path closed_to_others(const std::filesystem::path& file) {
  for (auto dir = file.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || (st.st_mode & S_IXOTH) == 0) return dir;
    if (dir == dir.root_path()) break;
  }
  return {};
}

// The child writes this after a failed execve, so that the test shows why it got 127. Only
// async-signal-safe calls: the child of a threaded process runs it between fork and exec.
void report_exec_failure(const char* program, int error) {
  const auto say = [](const char* text) {
    [[maybe_unused]] const auto written = ::write(STDERR_FILENO, text, std::strlen(text));
  };
  char digits[12];
  int at = sizeof digits;
  digits[--at] = '\0';
  do {
    digits[--at] = static_cast<char>('0' + error % 10);
    error /= 10;
  } while (error > 0 && at > 0);
  say("test harness: cannot execute ");
  say(program);
  say(": errno ");
  say(digits + at);
  say("\n");
}

}  // namespace

std::string netsvcd_binary() {
  return NETSVCD_BINARY;
}

DaemonProcess::DaemonProcess(std::vector<std::string> args, LaunchOptions options) {
  std::string program = options.program.empty() ? netsvcd_binary() : options.program;
  if (options.drop_privileges && ::geteuid() == 0) program = copy_for_others(program);
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe2 failed");
  }
  std::vector<std::string> argv_storage{program};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_storage)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  // Nothing systemd-related may leak in from the environment the tests run in.
  std::vector<char*> envp;
  for (char** variable = environ; *variable; ++variable) {
    const std::string_view entry(*variable);
    if (entry.starts_with("NOTIFY_SOCKET=") || entry.starts_with("LISTEN_") ||
        entry.starts_with("JOURNAL_STREAM=") || entry.starts_with("WATCHDOG_")) {
      continue;
    }
    envp.push_back(*variable);
  }
  for (auto& variable : options.environment)
    envp.push_back(variable.data());
  // Socket activation: LISTEN_PID must name the child, known only after fork; the child writes
  // its pid into the space reserved here.
  std::string listen_fds = "LISTEN_FDS=" + std::to_string(options.passed_fds.size());
  std::string listen_names = "LISTEN_FDNAMES=";
  std::string listen_pid = "LISTEN_PID=" + std::string(20, '\0');
  std::vector<int> moved(options.passed_fds.size(), -1);
  if (!options.passed_fds.empty()) {
    for (std::size_t i = 0; i < options.passed_fds.size(); ++i) {
      listen_names += (i ? ":" : "") + options.passed_fds[i].name;
    }
    envp.push_back(listen_fds.data());
    envp.push_back(listen_names.data());
    envp.push_back(listen_pid.data());
  }
  std::string journal_stream;
  if (options.stderr_is_journal_stream) {
    // The child's stderr will be this same pipe, so it has the same device and inode.
    struct stat st {};
    if (::fstat(err_pipe[1], &st) != 0) throw std::runtime_error("fstat failed");
    journal_stream = fmt::format("JOURNAL_STREAM={}:{}", st.st_dev, st.st_ino);
    envp.push_back(journal_stream.data());
  }
  envp.push_back(nullptr);
  const char* run_directory =
      options.run_directory.empty() ? nullptr : options.run_directory.c_str();

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // The child: only async-signal-safe calls from here to exec. A test that aborts must not
    // leave its daemon running.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(err_pipe[1], STDERR_FILENO);
    // Out of the way of 3, 4, … first, then into place (dup2 clears close-on-exec).
    for (std::size_t i = 0; i < moved.size(); ++i) {
      moved[i] = ::fcntl(options.passed_fds[i].fd, F_DUPFD_CLOEXEC, 64);
      if (moved[i] < 0) ::_exit(122);
    }
    for (std::size_t i = 0; i < moved.size(); ++i) {
      if (::dup2(moved[i], 3 + static_cast<int>(i)) < 0) ::_exit(122);
    }
    if (!moved.empty()) {
      char* digits = listen_pid.data() + std::strlen("LISTEN_PID=");
      char reversed[20];
      int count = 0;
      for (pid_t pid = ::getpid(); pid > 0; pid /= 10)
        reversed[count++] = static_cast<char>('0' + pid % 10);
      while (count > 0)
        *digits++ = reversed[--count];
    }
    if (options.max_open_files) {
      const rlimit limit{*options.max_open_files, *options.max_open_files};
      if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) ::_exit(120);
    }
    if (run_directory) {
      // Private propagation first, so that the bind mount stays in this namespace.
      if (::unshare(CLONE_NEWNS) != 0 ||
          ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
          ::mount(run_directory, "/run", nullptr, MS_BIND, nullptr) != 0) {
        ::_exit(122);
      }
    }
    if (options.drop_privileges && ::geteuid() == 0) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) {
        ::_exit(121);
      }
    }
    ::execve(argv[0], argv.data(), envp.data());
    report_exec_failure(argv[0], errno);
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd_ < 0) throw std::runtime_error("pidfd_open failed");
  reader_ = std::thread([this, out = out_pipe[0], err = err_pipe[0]] { read_output(out, err); });
}

// The checkout may sit where other users cannot go (/root is 0700): the child that drops to
// nobody runs a copy in a directory of its own under /tmp, which TempDir makes readable by all.
std::string DaemonProcess::copy_for_others(const std::string& program) {
  copy_dir_ = std::make_unique<TempDir>();
  const auto copy = copy_dir_->path() / std::filesystem::path(program).filename();
  std::filesystem::copy_file(program, copy);
  std::filesystem::permissions(copy, std::filesystem::perms(0755));
  if (const auto closed = closed_to_others(copy); !closed.empty()) {
    throw std::runtime_error("cannot run " + program + " as nobody: " + closed.string() +
                             " is closed to other users; point TMPDIR at a directory they "
                             "can enter");
  }
  return copy.string();
}

DaemonProcess::~DaemonProcess() {
  if (!exit_code_) {
    ::kill(pid_, SIGKILL);
    wait_exit(10s);
  }
  if (reader_.joinable()) reader_.join();
  if (pidfd_ >= 0) ::close(pidfd_);
  // ctest shows a test's output only when it fails: then the daemon's own words are there.
  const std::string log = err();
  std::size_t start = log.size();
  int newlines = 0;
  while (start > 0 && newlines <= kLogLinesShown) {
    if (log[--start] == '\n') ++newlines;
  }
  if (newlines > kLogLinesShown) ++start;  // skip the newline before the first line shown
  const std::string_view tail = std::string_view(log).substr(start);
  std::cout << "--- netsvcd pid " << pid_ << ", last lines of stderr ---\n" << tail << std::flush;
}

void DaemonProcess::read_output(int out_fd, int err_fd) {
  std::array<pollfd, 2> fds{{{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}}};
  std::array<char, 65536> buffer;
  int open_count = 2;
  while (open_count > 0) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buffer.data(), buffer.size());
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
        continue;
      }
      std::lock_guard lock(mutex_);
      (i == 0 ? out_ : err_).append(buffer.data(), static_cast<std::size_t>(n));
      changed_.notify_all();
    }
  }
  std::lock_guard lock(mutex_);
  closed_ = true;
  changed_.notify_all();
}

bool DaemonProcess::wait_for_log(std::string_view text, std::chrono::milliseconds timeout) {
  return wait_for_log_count(text, 1, timeout);
}

bool DaemonProcess::wait_for_log_count(std::string_view text, std::size_t count,
                                       std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout,
                    [&] { return count_lines_with(err_, text) >= count || closed_; });
  return count_lines_with(err_, text) >= count;
}

std::size_t DaemonProcess::count_log(std::string_view text) const {
  std::lock_guard lock(mutex_);
  return count_lines_with(err_, text);
}

std::string DaemonProcess::err() const {
  std::lock_guard lock(mutex_);
  return err_;
}

std::string DaemonProcess::out() const {
  std::lock_guard lock(mutex_);
  return out_;
}

void DaemonProcess::signal(int signal) {
  if (!exit_code_) ::kill(pid_, signal);
}

std::optional<int> DaemonProcess::stop(std::chrono::milliseconds timeout) {
  signal(SIGTERM);
  return wait_exit(timeout);
}

std::optional<int> DaemonProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  pollfd fd{pidfd_, POLLIN, 0};
  int ready = 0;
  do {
    ready = ::poll(&fd, 1, static_cast<int>(timeout.count()));
  } while (ready < 0 && errno == EINTR);
  if (ready <= 0) return std::nullopt;
  int status = 0;
  if (::waitpid(pid_, &status, 0) != pid_) return std::nullopt;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (reader_.joinable()) reader_.join();
  return exit_code_;
}

std::size_t DaemonProcess::open_files() const {
  std::size_t count = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid_) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++count;
  }
  return count;
}

std::size_t DaemonProcess::rss_kib() const {
  std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::stoul(line.substr(6));
  }
  return 0;
}

bool DaemonProcess::wait_open_files(const std::function<bool(std::size_t)>& wanted,
                                    std::chrono::milliseconds timeout) const {
  // /proc offers no change notification, so this polls; it waits for a condition, never for a
  // fixed time.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!wanted(open_files())) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

bool DaemonProcess::wait_open_files_at_most(std::size_t count,
                                            std::chrono::milliseconds timeout) const {
  return wait_open_files([count](std::size_t open) { return open <= count; }, timeout);
}

bool DaemonProcess::wait_open_files_at_least(std::size_t count,
                                             std::chrono::milliseconds timeout) const {
  return wait_open_files([count](std::size_t open) { return open >= count; }, timeout);
}

std::unique_ptr<DaemonProcess> start_netsvcd(const TempDir& dir, std::string_view yaml,
                                             LaunchOptions options) {
  const auto config = dir.write("netsvcd.yaml", yaml);
  std::vector<std::string> args{"--config", config.string(), "--log-level", "debug"};
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  auto process = std::make_unique<DaemonProcess>(std::move(args), options);
  if (!process->wait_for_log(" ready: ")) {
    throw std::runtime_error("netsvcd did not get ready; it logged:\n" + process->err());
  }
  return process;
}

RunResult run_program(std::string program, std::vector<std::string> args,
                      std::chrono::milliseconds timeout) {
  LaunchOptions options;
  options.program = std::move(program);
  DaemonProcess process(std::move(args), options);
  const auto code = process.wait_exit(timeout);
  if (!code) throw std::runtime_error("the program did not exit within the deadline");
  return {*code, process.out(), process.err()};
}

RunResult run_netsvcd(std::vector<std::string> args, std::chrono::milliseconds timeout) {
  return run_program({}, std::move(args), timeout);
}

}  // namespace netsvcd::test
