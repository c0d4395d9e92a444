// The fuzz targets' bodies (tests/fuzz/) on every seed of their corpora and every input a fuzz
// run found a bug with (tests/fuzz/regressions/<target>/, one file each, kept after the fix):
// the same checks make fuzz runs, here with g++ on every build.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "fuzz/fuzz_targets.hpp"

namespace {

std::vector<std::filesystem::path> files_in(const std::filesystem::path& directory) {
  std::vector<std::filesystem::path> files;
  if (!std::filesystem::is_directory(directory)) return files;
  for (const auto& entry : std::filesystem::directory_iterator(directory))
    if (entry.is_regular_file()) files.push_back(entry.path());
  std::ranges::sort(files);
  return files;
}

std::string contents(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("fuzz targets: every seed and every regression input passes its checks", "[fuzz]") {
  const std::filesystem::path root = std::filesystem::path(NETSVCD_SOURCE_DIR) / "tests/fuzz";
  for (const auto& target : netsvcd::fuzz::kTargets) {
    const std::string name(target.name);
    const auto seeds = files_in(root / "corpus" / name);
    INFO("target " << name);
    CHECK(seeds.size() >= 3);
    auto inputs = seeds;
    const auto regressions = files_in(root / "regressions" / name);
    inputs.insert(inputs.end(), regressions.begin(), regressions.end());
    for (const auto& input : inputs) {
      INFO(input.string());
      CHECK_NOTHROW(target.body(contents(input)));
    }
  }
}
