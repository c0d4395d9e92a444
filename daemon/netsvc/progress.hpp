// The progress bar `netsvc get` draws on a terminal's stderr for a large body: redrawn on one
// line at most ten times a second, erased for the final line. One thread's; writes to an fd it
// does not own.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace netsvc {

// Bodies at most this large get no bar: they are over before a bar would say anything.
inline constexpr std::uint64_t kProgressThreshold = 1024 * 1024;

// "[#####.....]  45%  1.4 MiB / 3.0 MiB", or without a total "1.4 MiB" alone.
std::string progress_line(std::uint64_t done, std::optional<std::uint64_t> total,
                          std::size_t width);

class ProgressBar {
 public:
  // Draws nothing unless `enabled` (stderr is a terminal).
  ProgressBar(int fd, bool enabled, std::optional<std::uint64_t> total);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void advance(std::uint64_t bytes);
  // Erases the bar, so the next line starts clean.
  void finish();

 private:
  void draw();

  int fd_;
  bool enabled_;
  bool drawn_ = false;
  std::optional<std::uint64_t> total_;
  std::uint64_t done_ = 0;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace netsvc
