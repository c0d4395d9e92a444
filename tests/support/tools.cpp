#include "support/tools.hpp"

#include <unistd.h>

#include <stdexcept>

namespace netsvcd::test {

std::string test_tool(std::string_view name) {
  const std::string unpacked = NETSVCD_TEST_TOOLS "/root";
  for (const std::string& directory : {unpacked + "/usr/bin", unpacked + "/usr/sbin",
                                       std::string("/usr/bin"), std::string("/usr/sbin")}) {
    const std::string path = directory + "/" + std::string(name);
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  throw std::runtime_error(std::string(name) + " not found in " + unpacked +
                           " or the system: run `make test-tools` (`make test` does)");
}

RunResult promtool_check_metrics(const std::filesystem::path& scrape) {
  // promtool reads the text on its standard input.
  return run_program("/bin/sh", {"-c", "exec \"$0\" check metrics < \"$1\"", test_tool("promtool"),
                                 scrape.string()});
}

}  // namespace netsvcd::test
