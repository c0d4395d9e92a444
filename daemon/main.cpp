// netsvcd's entry point: the command line, then Daemon::run(). Only exit codes are decided here.
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <iostream>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "config/loader.hpp"
#include "daemon.hpp"
#include "log.hpp"
#include "version.hpp"

namespace {

// --check-config: like `nginx -t`, every error on stderr and the verdict in the exit code.
int check_config(const std::filesystem::path& file) {
  const auto loaded = netsvcd::config::load_config_file(file);
  if (!loaded.config) {
    for (const auto& error : loaded.errors) {
      std::cerr << netsvcd::config::to_string(error) << '\n';
    }
    std::cerr << file.string() << ": " << loaded.errors.size() << " error(s)\n";
    return netsvcd::kExitConfigInvalid;
  }
  std::cout << file.string() << ": ok (" << loaded.config->listeners.size() << " listener(s))\n";
  return netsvcd::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "netsvcd serves small network services (hello, time, wordfinder) described in a YAML file, "
      "from one "
      "thread pool. It stays in the foreground and logs to stderr.",
      "netsvcd"};
  std::string config_file = "/etc/netsvcd/netsvcd.yaml";
  bool check_only = false;
  std::string log_level;
  app.add_option("-c,--config", config_file, "YAML configuration file")->capture_default_str();
  app.add_flag("--check-config", check_only,
               "Validate the configuration file and exit: 0 if valid, 1 if not (errors on stderr)");
  app.add_option("--log-level", log_level, "Override the file's log_level")
      ->check(CLI::Validator(
          [](const std::string& name) {
            return netsvcd::parse_log_level(name)
                       ? std::string()
                       : "unknown level \"" + name + "\" (expected trace, debug, info, " +
                             "warning or error)";
          },
          "LEVEL"));
  app.set_version_flag("--version", std::string("netsvcd ") + netsvcd::kVersion);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? netsvcd::kExitOk : netsvcd::kExitUsage;
  }

  if (check_only) return check_config(config_file);

  // A closed stderr or client must never kill the daemon; Asio reports EPIPE as an error.
  std::signal(SIGPIPE, SIG_IGN);
  // netsvcd works in UTC: the time services' strftime formats (%s and %Z read the time zone) and
  // the log timestamps alike. Set before any thread exists, as setenv requires.
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  const auto level = log_level.empty() ? std::nullopt : netsvcd::parse_log_level(log_level);
  netsvcd::init_logging(level.value_or(spdlog::level::info));
  try {
    return netsvcd::Daemon({config_file, level}).run();
  } catch (...) {
    // Threads or descriptors refused at start-up, say: still one clear line and the code.
    spdlog::critical("cannot run: {}", netsvcd::describe(std::current_exception()));
    return netsvcd::kExitStartFailed;
  }
}
