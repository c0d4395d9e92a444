#include "netsvc/get.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "netsvc/http_client.hpp"
#include "netsvc/output.hpp"
#include "netsvc/progress.hpp"
#include "netsvc/url.hpp"
#include "unique_fd.hpp"

namespace netsvc {
namespace {

bool is_redirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// The file is created only once a response worth saving has arrived, so that a 404 or a
// redirect leaves nothing behind.
class SaveSink : public BodySink {
 public:
  explicit SaveSink(std::string name) : name_(std::move(name)) {}
  ~SaveSink() override {
    // A body cut short is not the file: remove what this run created of it.
    if (created_ && !complete_) ::unlink(name_.c_str());
  }

  Outcome<bool> on_head(const HttpHead& head) override {
    if (is_redirect(head.status)) {
      if (head.location.empty()) {
        return Failure{kExitProtocol,
                       "a redirect (" + std::to_string(head.status) + ") without a Location"};
      }
      return false;
    }
    if (head.status >= 400) {
      return Failure{kExitNoInput, "HTTP " + std::to_string(head.status) + " " + head.reason};
    }
    if (head.status < 200 || head.status >= 300) {
      return Failure{kExitProtocol, "unexpected HTTP status " + std::to_string(head.status)};
    }
    if (name_ == "-") {
      fd_ = 1;
      shown_name_ = "standard output";
    } else {
      // Only a file this run created is removed after a failure: never one that was there
      // before (-o /dev/null, or a file the user meant to overwrite only with a whole body).
      file_ = UniqueFd(::open(name_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
      created_ = static_cast<bool>(file_);
      if (!file_ && errno == EEXIST) {
        file_ = UniqueFd(::open(name_.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
      }
      if (!file_) {
        return Failure{kExitCantCreate, "cannot create '" + name_ + "': " + std::strerror(errno)};
      }
      fd_ = file_.get();
      shown_name_ = "'" + name_ + "'";
    }
    progress_ = std::make_unique<ProgressBar>(2, ::isatty(2) == 1, head.content_length);
    return true;
  }

  Status on_body(std::string_view piece) override {
    if (auto written = write_fd(fd_, piece, shown_name_); !written) return written;
    bytes_ += piece.size();
    progress_->advance(piece.size());
    return done();
  }

  // After the whole body: the file is closed (a close can report a write error too).
  Status finish() {
    if (progress_) progress_->finish();
    if (file_ && ::close(file_.release()) != 0) {
      return Failure{kExitIoErr, "writing " + shown_name_ + ": " + std::strerror(errno)};
    }
    complete_ = true;
    return done();
  }

  std::uint64_t bytes() const { return bytes_; }
  const std::string& shown_name() const { return shown_name_; }

 private:
  std::string name_;
  std::string shown_name_;
  UniqueFd file_;
  int fd_ = -1;
  bool created_ = false;
  bool complete_ = false;
  std::uint64_t bytes_ = 0;
  std::unique_ptr<ProgressBar> progress_;
};

}  // namespace

Status run_get(const std::string& text, const std::optional<std::string>& output,
               const ConnectOptions& options) {
  auto url = parse_url(text);
  if (!url) return url.failure();
  const std::string name = output ? *output : output_name(*url);
  Url current = *url;
  for (int redirects = 0;; ++redirects) {
    SaveSink sink(name);
    auto head = http_get(current, options, sink);
    // The command line names the URL; after a redirect, the message names where it led.
    const auto fail = [&](const Failure& failure) {
      if (redirects == 0) return failure;
      return Failure{failure.exit_code,
                     "redirected to " + current.to_string() + ": " + failure.message};
    };
    if (!head) return fail(head.failure());
    if (is_redirect(head->status)) {
      if (redirects == kMaxRedirects) {
        return fail({kExitProtocol, "more than " + std::to_string(kMaxRedirects) + " redirects"});
      }
      auto next = resolve_location(current, head->location);
      if (!next) return fail(next.failure());
      current = *next;
      continue;
    }
    if (auto finished = sink.finish(); !finished) return fail(finished.failure());
    const std::string line =
        "saved " + std::to_string(sink.bytes()) + " bytes to " + sink.shown_name() + "\n";
    (void)write_fd(2, line, "standard error");
    return done();
  }
}

}  // namespace netsvc
