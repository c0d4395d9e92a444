// Unit tests of what the metrics listener and `netsvcd --status` report: ListenerStats counting
// from several threads, the Prometheus text of a known state, and the status in JSON and lines.
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "connection/listener_load.hpp"
#include "connection/listener_stats.hpp"
#include "metrics/daemon_state.hpp"
#include "metrics/exposition.hpp"
#include "metrics/status_report.hpp"
#include "version.hpp"

namespace netsvcd::test {
namespace {

using namespace std::chrono_literals;
using connection::ListenerStats;

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

// A state as of `now`: started 3,725 s before, one reload each way, two listeners.
metrics::DaemonState::Snapshot known_state(metrics::DaemonState::SystemClock::time_point now) {
  metrics::DaemonState::Snapshot state;
  state.phase = metrics::Phase::ready;
  state.started = now - 3725s;
  state.loaded = now - 60s;
  state.config_file = "/etc/netsvcd/netsvcd.yaml";
  state.generation = 2;
  state.reloads_succeeded = 1;
  state.reloads_failed = 1;

  auto hello = std::make_shared<connection::ListenerLoad>(2);
  for (int i = 0; i < 5; ++i) {
    hello->stats().accepted();
    ListenerStats::Open open(hello->stats());
    hello->stats().sent(12);
  }
  hello->stats().accepted();
  hello->refused(connection::Refusal::access);
  ListenerStats::Open still_open(hello->stats());
  hello->stats().accepted();
  state.listeners.push_back(
      {"hello", "hello", {{"127.0.0.1:7001", true}, {"[::1]:7001", false}}, hello, {}});

  auto words = std::make_shared<connection::ListenerLoad>(2);
  words->stats().answered(200, 30us);
  words->stats().answered(200, 2ms);
  words->stats().answered(404, 30us);
  words->stats().answered(418, 2s);
  words->stats().cache_used(true);
  words->stats().cache_used(false);
  state.listeners.push_back({"words", "wordfinder", {{"127.0.0.1:7002", false}}, words, [] {
                               metrics::ServiceMetrics reported;
                               reported.http = true;
                               reported.cache_entries = 1;
                               reported.dictionary_words = 42;
                               return reported;
                             }});
  // Keeps `still_open` counted while the snapshot is looked at; with its load, which must
  // outlive it (a pair destroys its second member first).
  static std::vector<std::pair<std::shared_ptr<connection::ListenerLoad>, ListenerStats::Open>>
      held;
  held.emplace_back(hello, std::move(still_open));
  return state;
}

TEST_CASE("metrics: each thread counts in its slot and the totals add them all", "[metrics]") {
  ListenerStats stats(2);
  constexpr int kPerThread = 100000;
  std::vector<std::jthread> threads;
  for (std::size_t slot = 0; slot < 3; ++slot) {  // the third shares a slot with the first
    threads.emplace_back([&stats, slot] {
      connection::set_this_thread_slot(slot);
      for (int i = 0; i < kPerThread; ++i) {
        stats.accepted();
        ListenerStats::Open open(stats);
        stats.sent(3);
        stats.answered(200, 1us);
      }
    });
  }
  threads.clear();
  const auto totals = stats.totals();
  CHECK(totals.accepted == 3 * kPerThread);
  CHECK(totals.opened == 3 * kPerThread);
  CHECK(totals.closed == 3 * kPerThread);
  CHECK(totals.active() == 0);
  CHECK(totals.sent_bytes == 9 * kPerThread);
  CHECK(totals.answered() == 3 * kPerThread);
  CHECK(totals.durations.front() == 3 * kPerThread);
  CHECK(totals.duration_sum == 3 * kPerThread * 1us);
}

TEST_CASE("metrics: an answer falls in its code and duration bucket", "[metrics]") {
  ListenerStats stats;
  stats.answered(404, 50us);  // on a bound: in that bucket (le is <=)
  stats.answered(503, 51us);
  stats.answered(299, 1s);  // a code netsvcd never sends, a duration past the last bound
  const auto totals = stats.totals();
  const auto code = [](unsigned status) {
    return static_cast<std::size_t>(std::ranges::find(ListenerStats::kCodes, status) -
                                    ListenerStats::kCodes.begin());
  };
  CHECK(totals.requests[code(404)] == 1);
  CHECK(totals.requests[code(503)] == 1);
  CHECK(totals.requests[ListenerStats::kOtherCode] == 1);
  CHECK(totals.durations[0] == 1);
  CHECK(totals.durations[1] == 1);
  CHECK(totals.durations.back() == 1);
}

TEST_CASE("metrics: the Prometheus text of a known state", "[metrics]") {
  const auto now = metrics::DaemonState::SystemClock::time_point(1'800'000'000s);
  const auto text = metrics::render_prometheus(known_state(now), now);
  INFO(text);
  for (const std::string& line : std::vector<std::string>{
           "# TYPE netsvcd_build_info gauge",
           "netsvcd_build_info{version=\"" + std::string(kVersion) + "\"} 1",
           "netsvcd_uptime_seconds 3725",
           "netsvcd_config_generation 2",
           "netsvcd_config_last_reload_success_timestamp_seconds 1799999940",
           "# TYPE netsvcd_reloads_total counter",
           "netsvcd_reloads_total{result=\"success\"} 1",
           "netsvcd_reloads_total{result=\"failure\"} 1",
           "netsvcd_healthy 1",
           "netsvcd_connections_accepted_total{listener=\"hello\"} 7",
           "netsvcd_connections_active{listener=\"hello\"} 1",
           "netsvcd_connections_rejected_total{listener=\"hello\",reason=\"access\"} 1",
           "netsvcd_connections_rejected_total{listener=\"hello\",reason=\"rate_limit\"} 0",
           "netsvcd_sent_bytes_total{listener=\"hello\"} 60",
           "netsvcd_http_requests_total{listener=\"words\",code=\"200\"} 2",
           "netsvcd_http_requests_total{listener=\"words\",code=\"404\"} 1",
           "netsvcd_http_requests_total{listener=\"words\",code=\"other\"} 1",
           "# TYPE netsvcd_http_request_duration_seconds histogram",
           "netsvcd_http_request_duration_seconds_bucket{listener=\"words\",le=\"5e-05\"} 2",
           "netsvcd_http_request_duration_seconds_bucket{listener=\"words\",le=\"0.0025\"} 3",
           "netsvcd_http_request_duration_seconds_bucket{listener=\"words\",le=\"0.5\"} 3",
           "netsvcd_http_request_duration_seconds_bucket{listener=\"words\",le=\"+Inf\"} 4",
           "netsvcd_http_request_duration_seconds_count{listener=\"words\"} 4",
           "netsvcd_cache_hits_total{listener=\"words\"} 1",
           "netsvcd_cache_misses_total{listener=\"words\"} 1",
           "netsvcd_cache_entries{listener=\"words\"} 1",
           "netsvcd_dictionary_words{listener=\"words\"} 42",
       }) {
    CHECK(has_line(text, line));
  }
  // A listener that is not HTTP has no HTTP series, and one without a cache no cache series.
  CHECK(text.find("netsvcd_http_requests_total{listener=\"hello\"") == std::string::npos);
  CHECK(text.find("netsvcd_cache_hits_total{listener=\"hello\"") == std::string::npos);
}

TEST_CASE("metrics: /healthz's phase shows as netsvcd_healthy", "[metrics]") {
  const auto now = metrics::DaemonState::SystemClock::now();
  auto state = known_state(now);
  state.phase = metrics::Phase::stopping;
  CHECK(has_line(metrics::render_prometheus(state, now), "netsvcd_healthy 0"));
}

TEST_CASE("metrics: a reload's end does not undo a stop that began", "[metrics]") {
  metrics::DaemonState state;
  CHECK(state.phase() == metrics::Phase::starting);
  state.set_phase(metrics::Phase::ready);
  state.change_phase(metrics::Phase::ready, metrics::Phase::reloading);
  CHECK(state.phase() == metrics::Phase::reloading);
  state.set_phase(metrics::Phase::stopping);
  state.change_phase(metrics::Phase::reloading, metrics::Phase::ready);
  CHECK(state.phase() == metrics::Phase::stopping);
}

TEST_CASE("status: JSON and the lines --status prints", "[metrics][status]") {
  const auto now = metrics::DaemonState::SystemClock::time_point(1'800'000'000s);
  const auto json = metrics::status_json(known_state(now), now, 4242);
  CHECK(json.at("config").at("loaded") == "2027-01-15T07:59:00Z");
  CHECK(json.at("listeners").at(0).at("addresses").at(0).at("from") == "systemd");
  CHECK(json.at("listeners").at(0).at("connections").at("rejected_by_reason").at("access") == 1);
  CHECK(metrics::status_text(json) ==
        "netsvcd " + std::string(kVersion) +
            " (pid 4242): ready, up 1h 2m 5s\n"
            "config /etc/netsvcd/netsvcd.yaml: generation 2, loaded 2027-01-15T07:59:00Z; "
            "reloads: 1 succeeded, 1 failed\n"
            "\n"
            "LISTENER  KIND        ADDRESSES                                       ACTIVE  "
            "ACCEPTED  REJECTED\n"
            "hello     hello       127.0.0.1:7001 (systemd), [::1]:7001 (netsvcd)       1         "
            "7         1\n"
            "words     wordfinder  127.0.0.1:7002 (netsvcd)                             0         "
            "0         0\n");
}

}  // namespace
}  // namespace netsvcd::test
