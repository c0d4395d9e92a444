// The real tools some tests drive (promtool, haproxy), unpacked by `make test-tools` rather than
// installed: where each is, and the checks several tests run with them. Safe from any thread.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "support/daemon_process.hpp"

namespace netsvcd::test {

// The path of `name` from the unpacked packages, else from the system (/usr/bin, /usr/sbin);
// throws, saying to run `make test-tools`, if there is none: such a test fails, never skips.
std::string test_tool(std::string_view name);

// `promtool check metrics` on the scrape saved at `scrape`, run to its end.
RunResult promtool_check_metrics(const std::filesystem::path& scrape);

}  // namespace netsvcd::test
