// netsvcd's entry point: the command line, then Daemon::run(). Only exit codes are decided here.
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <iostream>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "config/loader.hpp"
#include "control/control_client.hpp"
#include "daemon.hpp"
#include "log.hpp"
#include "logging.hpp"
#include "metrics/status_report.hpp"
#include "services/registry.hpp"
#include "systemd/journal_sink.hpp"
#include "version.hpp"

namespace {

// Longer than any reload takes (a dictionary loads in well under a second); systemd's own
// TimeoutSec= still bounds it.
constexpr std::chrono::seconds kReloadTimeout{60};

// --check-config: like `nginx -t`, every error on stderr and the verdict in the exit code.
int check_config(const std::filesystem::path& file) {
  const auto loaded = netsvcd::config::load_config_file(file, netsvcd::services::listener_kinds());
  if (!loaded.config) {
    for (const auto& error : loaded.errors) {
      std::cerr << netsvcd::config::to_string(error) << '\n';
    }
    std::cerr << file.string() << ": " << loaded.errors.size() << " error(s)\n";
    return netsvcd::kExitConfigInvalid;
  }
  std::cout << netsvcd::config::describe_files(*loaded.config) << ": ok ("
            << loaded.config->listeners.size() << " listener(s))\n";
  return netsvcd::kExitOk;
}

// Under systemd the helper's stderr is the journal, which reads a "<3>" line prefix as the
// priority (sd-daemon(3)): the errors then show in `journalctl -p err` too.
void print_errors(std::string_view lines) {
  const std::string_view prefix = netsvcd::systemd::stderr_is_journal() ? "<3>" : "";
  while (!lines.empty()) {
    const auto end = lines.find('\n');
    std::cerr << prefix << lines.substr(0, end) << '\n';
    lines.remove_prefix(end == std::string_view::npos ? lines.size() : end + 1);
  }
}

// How long --status waits: the daemon answers from memory, at once.
constexpr std::chrono::seconds kStatusTimeout{10};

// --reload: what systemctl reload runs (ExecReload=), synchronous where a signal is not.
int request_reload(const std::filesystem::path& socket) {
  using Status = netsvcd::control::Reply::Status;
  const auto reply = netsvcd::control::ask_daemon(socket, "reload", kReloadTimeout);
  switch (reply.status) {
    case Status::kOk:
      std::cout << reply.detail;
      return netsvcd::kExitOk;
    case Status::kRefused:
      print_errors(reply.detail);
      return netsvcd::kExitConfigInvalid;
    case Status::kUnreachable:
      break;
  }
  print_errors("netsvcd --reload: " + reply.detail);
  return netsvcd::kExitStartFailed;
}

// --status [--json]: what the daemon is doing, with the exit codes of --reload.
int request_status(const std::filesystem::path& socket, bool json) {
  const auto reply = netsvcd::control::ask_daemon(socket, "status", kStatusTimeout);
  if (reply.status != netsvcd::control::Reply::Status::kOk) {
    print_errors("netsvcd --status: " + reply.detail);
    return netsvcd::kExitStartFailed;
  }
  try {
    const auto status = nlohmann::json::parse(reply.detail);
    std::cout << (json ? status.dump(2) + "\n" : netsvcd::metrics::status_text(status));
    return netsvcd::kExitOk;
  } catch (const nlohmann::json::exception& e) {
    print_errors(std::string("netsvcd --status: the daemon's answer is not what this netsvcd "
                             "reads (") +
                 e.what() + ")");
    return netsvcd::kExitStartFailed;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "netsvcd serves small network services (hello, time, wordfinder) described in a YAML file, "
      "from one thread pool. It stays in the foreground and logs to stderr, or to the journal "
      "under systemd (log_target). SIGHUP or --reload reloads the file; SIGTERM stops.",
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
  std::string control_socket;
  bool reload = false;
  app.add_option("--control-socket", control_socket,
                 "Unix socket through which --reload reaches the daemon (the units use "
                 "/run/netsvcd/control); none by default");
  app.add_flag("--reload", reload,
               "Ask the daemon on --control-socket (default /run/netsvcd/control) to reload its "
               "configuration and wait: 0 once the new configuration is live, 1 with the errors "
               "on stderr if it was refused, 3 if the daemon cannot be reached");
  bool status = false;
  bool json = false;
  app.add_flag("--status", status,
               "Ask the daemon on --control-socket (default /run/netsvcd/control) what it is "
               "doing: each listener's addresses and connections, the config and its generation; "
               "0 when it answered, 3 if it cannot be reached");
  app.add_flag("--json", json, "With --status: print the status as JSON");
  app.set_version_flag("--version", std::string("netsvcd ") + netsvcd::kVersion);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? netsvcd::kExitOk : netsvcd::kExitUsage;
  }

  if (check_only) return check_config(config_file);
  const std::filesystem::path control =
      control_socket.empty() ? "/run/netsvcd/control" : control_socket;
  if (reload) return request_reload(control);
  if (status) return request_status(control, json);
  if (json) {
    std::cerr << "--json goes with --status\n";
    return netsvcd::kExitUsage;
  }

  // A closed stderr or client must never kill the daemon; Asio reports EPIPE as an error.
  std::signal(SIGPIPE, SIG_IGN);
  // netsvcd works in UTC: the time services' strftime formats (%s and %Z read the time zone) and
  // the log timestamps alike. Set before any thread exists, as setenv requires.
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  const auto level = log_level.empty() ? std::nullopt : netsvcd::parse_log_level(log_level);
  netsvcd::init_logging(level.value_or(spdlog::level::info));
  try {
    return netsvcd::Daemon({config_file, level, control_socket}).run();
  } catch (...) {
    // Threads or descriptors refused at start-up, say: still one clear line and the code.
    spdlog::critical("cannot run: {}", netsvcd::describe(std::current_exception()));
    return netsvcd::kExitStartFailed;
  }
}
