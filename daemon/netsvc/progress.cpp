#include "netsvc/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>

namespace netsvc {
namespace {

std::string mebibytes(std::uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

void write_all(int fd, const std::string& text) {
  std::string_view rest = text;
  while (!rest.empty()) {
    const auto written = ::write(fd, rest.data(), rest.size());
    if (written <= 0) return;  // a bar that cannot be drawn is not worth failing for
    rest.remove_prefix(static_cast<std::size_t>(written));
  }
}

}  // namespace

std::string progress_line(std::uint64_t done, std::optional<std::uint64_t> total,
                          std::size_t width) {
  if (!total || *total == 0) return mebibytes(done);
  char percent[8];
  std::snprintf(percent, sizeof percent, "%3u%%", static_cast<unsigned>(done * 100 / *total));
  const std::string numbers =
      " " + std::string(percent) + "  " + mebibytes(done) + " / " + mebibytes(*total);
  const std::size_t bar = width > numbers.size() + 12 ? width - numbers.size() - 2 : 10;
  const std::size_t filled = static_cast<std::size_t>(done * bar / *total);
  return "[" + std::string(filled, '#') + std::string(bar - filled, '.') + "]" + numbers;
}

ProgressBar::ProgressBar(int fd, bool enabled, std::optional<std::uint64_t> total)
    : fd_(fd), enabled_(enabled), total_(total) {}

ProgressBar::~ProgressBar() {
  finish();
}

void ProgressBar::advance(std::uint64_t bytes) {
  done_ += bytes;
  if (!enabled_ || (done_ <= kProgressThreshold && !(total_ && *total_ > kProgressThreshold))) {
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100) && done_ != total_) return;
  last_draw_ = now;
  draw();
}

void ProgressBar::draw() {
  winsize size{};
  const std::size_t width =
      ::ioctl(fd_, TIOCGWINSZ, &size) == 0 && size.ws_col > 0 ? size.ws_col : 80;
  // Never the last column: some terminals wrap there, and \r would not get back to the start.
  write_all(fd_, "\r" + progress_line(done_, total_, width - 1) + "\x1b[K");
  drawn_ = true;
}

void ProgressBar::finish() {
  if (!drawn_) return;
  write_all(fd_, "\r\x1b[K");
  drawn_ = false;
}

}  // namespace netsvc
