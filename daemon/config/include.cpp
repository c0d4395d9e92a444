#include "config/include.hpp"

#include <glob.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace netsvcd::config {
namespace {

// glob(3)'s error callback takes no pointer of the caller's: where this thread's call puts the
// reason it stopped.
thread_local std::string* glob_failure = nullptr;

int on_glob_error(const char* path, int error) {
  // A directory that is not there holds no drop-in, like an empty one.
  if (error == ENOENT || error == ENOTDIR) return 0;
  // Any other failure (EACCES, say) would silently drop the drop-ins in there: stop.
  if (glob_failure) *glob_failure = std::string(path) + ": " + std::strerror(error);
  return 1;
}

// The matches of one glob(3) call, freed with it.
class GlobMatches {
 public:
  GlobMatches() = default;
  ~GlobMatches() { ::globfree(&matches_); }
  GlobMatches(const GlobMatches&) = delete;
  GlobMatches& operator=(const GlobMatches&) = delete;

  glob_t* get() { return &matches_; }
  std::vector<std::string> paths() const {
    return {matches_.gl_pathv, matches_.gl_pathv + matches_.gl_pathc};
  }

 private:
  glob_t matches_{};
};

// `text` as glob(3) reads it literally: a directory called "conf[1]" is not a pattern.
std::string escaped(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::variant<std::vector<std::string>, std::string> expand_include(
    std::string_view pattern, const std::filesystem::path& main_file) {
  std::string full(pattern);
  const std::string directory = main_file.parent_path().string();
  if (!pattern.starts_with('/') && !directory.empty()) full = escaped(directory) + '/' + full;

  std::string failure;
  GlobMatches matches;
  glob_failure = &failure;
  // Unsorted: glob(3) would sort with strcoll(), which depends on LC_COLLATE.
  const int status = ::glob(full.c_str(), GLOB_NOSORT, on_glob_error, matches.get());
  glob_failure = nullptr;
  switch (status) {
    case 0:
      break;
    case GLOB_NOMATCH:
      return std::vector<std::string>{};
    case GLOB_ABORTED:
      return "cannot read " + failure;
    default:
      return "cannot expand \"" + full + "\": out of memory";
  }
  auto paths = matches.paths();
  // std::string's < compares bytes as unsigned char: "10-a.yaml" before "9-b.yaml" before "a".
  std::sort(paths.begin(), paths.end());
  return paths;
}

}  // namespace netsvcd::config
