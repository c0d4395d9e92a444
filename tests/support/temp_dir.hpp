// TempDir: a fresh directory under /tmp for one test's files, removed with everything in it when
// the object goes. Readable by every user, so a daemon that drops privileges can read it too.
#pragma once

#include <filesystem>
#include <string_view>

namespace netsvcd::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes `content` to `name` inside the directory and returns its path.
  std::filesystem::path write(std::string_view name, std::string_view content) const;

 private:
  std::filesystem::path path_;
};

}  // namespace netsvcd::test
