#include "metrics/status_report.hpp"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

#include "version.hpp"

namespace netsvcd::metrics {
namespace {

std::string format_uptime(double seconds) {
  auto left = static_cast<long long>(seconds);
  const auto days = left / 86400;
  left %= 86400;
  const auto hours = left / 3600;
  left %= 3600;
  if (days > 0) return fmt::format("{}d {}h {}m", days, hours, left / 60);
  if (hours > 0) return fmt::format("{}h {}m {}s", hours, left / 60, left % 60);
  return fmt::format("{}m {}s", left / 60, left % 60);
}

}  // namespace

std::string rfc3339_utc(DaemonState::SystemClock::time_point time) {
  const std::time_t seconds = DaemonState::SystemClock::to_time_t(time);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

nlohmann::json status_json(const DaemonState::Snapshot& state,
                           DaemonState::SystemClock::time_point now, long pid) {
  nlohmann::json listeners = nlohmann::json::array();
  for (const auto& view : state.listeners) {
    nlohmann::json addresses = nlohmann::json::array();
    for (const auto& address : view.addresses)
      addresses.push_back(
          {{"address", address.text}, {"from", address.adopted ? "systemd" : "netsvcd"}});
    const auto totals = view.load->stats().totals();
    nlohmann::json by_reason = nlohmann::json::object();
    std::uint64_t rejected = 0;
    for (std::size_t i = 0; i < connection::kRefusalKinds; ++i) {
      const auto reason = static_cast<connection::Refusal>(i);
      const auto count = view.load->refusals(reason);
      by_reason[std::string(connection::to_string(reason))] = count;
      rejected += count;
    }
    nlohmann::json listener = {{"name", view.name},
                               {"kind", view.kind},
                               {"addresses", std::move(addresses)},
                               {"connections",
                                {{"active", totals.active()},
                                 {"accepted", totals.accepted},
                                 {"rejected", rejected},
                                 {"rejected_by_reason", std::move(by_reason)}}},
                               {"sent_bytes", totals.sent_bytes}};
    if (view.datagrams) {
      nlohmann::json dropped_by_reason = nlohmann::json::object();
      std::uint64_t dropped = 0;
      for (std::size_t i = 0; i < connection::kDatagramDropKinds; ++i) {
        const auto reason = static_cast<connection::DatagramDrop>(i);
        dropped_by_reason[std::string(connection::to_string(reason))] = totals.datagrams_dropped[i];
        dropped += totals.datagrams_dropped[i];
      }
      listener["datagrams"] = {{"received", totals.datagrams_received},
                               {"answered", totals.datagrams_answered},
                               {"dropped", dropped},
                               {"dropped_by_reason", std::move(dropped_by_reason)}};
    }
    listeners.push_back(std::move(listener));
  }
  return {{"version", std::string(kVersion)},
          {"pid", pid},
          {"state", std::string(to_string(state.phase))},
          {"started", rfc3339_utc(state.started)},
          {"uptime_seconds", std::chrono::duration<double>(now - state.started).count()},
          {"config",
           {{"file", state.config_file},
            {"generation", state.generation},
            {"loaded", rfc3339_utc(state.loaded)}}},
          {"reloads", {{"success", state.reloads_succeeded}, {"failure", state.reloads_failed}}},
          {"listeners", std::move(listeners)}};
}

std::string status_text(const nlohmann::json& status) {
  std::string text =
      fmt::format("netsvcd {} (pid {}): {}, up {}\n", status.at("version").get<std::string>(),
                  status.at("pid").get<long>(), status.at("state").get<std::string>(),
                  format_uptime(status.at("uptime_seconds").get<double>()));
  const auto& config = status.at("config");
  text += fmt::format("config {}: generation {}, loaded {}; reloads: {} succeeded, {} failed\n",
                      config.at("file").get<std::string>(), config.at("generation").get<long>(),
                      config.at("loaded").get<std::string>(),
                      status.at("reloads").at("success").get<long>(),
                      status.at("reloads").at("failure").get<long>());

  std::vector<std::array<std::string, 6>> rows{
      {"LISTENER", "KIND", "ADDRESSES", "ACTIVE", "ACCEPTED", "REJECTED"}};
  for (const auto& listener : status.at("listeners")) {
    std::string addresses;
    for (const auto& address : listener.at("addresses")) {
      if (!addresses.empty()) addresses += ", ";
      addresses += fmt::format("{} ({})", address.at("address").get<std::string>(),
                               address.at("from").get<std::string>());
    }
    const auto& connections = listener.at("connections");
    rows.push_back({listener.at("name").get<std::string>(), listener.at("kind").get<std::string>(),
                    addresses, std::to_string(connections.at("active").get<long>()),
                    std::to_string(connections.at("accepted").get<long>()),
                    std::to_string(connections.at("rejected").get<long>())});
  }
  std::array<std::size_t, 6> widths{};
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i)
      widths[i] = std::max(widths[i], row[i].size());
  text += '\n';
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      // Names and addresses to the left, counts to the right.
      line += i < 3 ? fmt::format("{:<{}}", row[i], widths[i])
                    : fmt::format("{:>{}}", row[i], widths[i]);
      if (i + 1 < row.size()) line += "  ";
    }
    while (!line.empty() && line.back() == ' ')
      line.pop_back();
    text += line + '\n';
  }
  // The UDP counts under the table: "daytime over UDP: 120 received, 100 answered, 20 dropped
  // (18 udp_rate_per_source, 2 reflection)".
  for (const auto& listener : status.at("listeners")) {
    if (!listener.contains("datagrams")) continue;
    const auto& datagrams = listener.at("datagrams");
    std::string reasons;
    for (const auto& [reason, count] : datagrams.at("dropped_by_reason").items()) {
      if (count.get<long>() == 0) continue;
      reasons += fmt::format("{}{} {}", reasons.empty() ? " (" : ", ", count.get<long>(), reason);
    }
    if (!reasons.empty()) reasons += ')';
    text += fmt::format("{} over UDP: {} received, {} answered, {} dropped{}\n",
                        listener.at("name").get<std::string>(),
                        datagrams.at("received").get<long>(), datagrams.at("answered").get<long>(),
                        datagrams.at("dropped").get<long>(), reasons);
  }
  return text;
}

}  // namespace netsvcd::metrics
