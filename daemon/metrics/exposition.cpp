#include "metrics/exposition.hpp"

#include <sstream>
#include <vector>

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include "version.hpp"

namespace netsvcd::metrics {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

double seconds_since_epoch(DaemonState::SystemClock::time_point time) {
  return std::chrono::duration<double>(time.time_since_epoch()).count();
}

class Families {
 public:
  // The family `name`, made with `help` and `type` the first time it is asked for.
  MetricFamily& family(std::string name, std::string help, MetricType type) {
    for (auto& family : families_)
      if (family.name == name) return family;
    families_.push_back({std::move(name), std::move(help), type, {}});
    return families_.back();
  }

  void counter(std::string name, std::string help, Labels labels, double value) {
    ClientMetric metric;
    metric.label = std::move(labels);
    metric.counter.value = value;
    family(std::move(name), std::move(help), MetricType::Counter).metric.push_back(metric);
  }

  void gauge(std::string name, std::string help, Labels labels, double value) {
    ClientMetric metric;
    metric.label = std::move(labels);
    metric.gauge.value = value;
    family(std::move(name), std::move(help), MetricType::Gauge).metric.push_back(metric);
  }

  std::vector<MetricFamily>& all() { return families_; }

 private:
  std::vector<MetricFamily> families_;
};

void add_daemon(Families& out, const DaemonState::Snapshot& state,
                DaemonState::SystemClock::time_point now) {
  out.gauge("netsvcd_build_info", "Always 1: the version of netsvcd that runs.",
            {{"version", std::string(kVersion)}}, 1);
  out.gauge("netsvcd_uptime_seconds", "Seconds since netsvcd started.", {},
            std::chrono::duration<double>(now - state.started).count());
  out.gauge("netsvcd_start_time_seconds", "When netsvcd started, in seconds since the epoch.", {},
            seconds_since_epoch(state.started));
  out.gauge("netsvcd_config_generation",
            "The config in use: 1 for the one netsvcd started with, one more per reload.", {},
            static_cast<double>(state.generation));
  out.gauge("netsvcd_config_last_reload_success_timestamp_seconds",
            "When the config in use was put in place (at start, or by the last successful "
            "reload), in seconds since the epoch.",
            {}, seconds_since_epoch(state.loaded));
  const std::string reloads = "netsvcd_reloads_total";
  const std::string help = "Reloads asked for (SIGHUP or netsvcd --reload), by result.";
  out.counter(reloads, help, {{"result", "success"}}, static_cast<double>(state.reloads_succeeded));
  out.counter(reloads, help, {{"result", "failure"}}, static_cast<double>(state.reloads_failed));
  out.gauge("netsvcd_healthy", "1 when netsvcd is ready (GET /healthz answers 200), else 0.", {},
            state.phase == Phase::ready ? 1 : 0);
}

void add_http(Families& out, const Labels& listener,
              const connection::ListenerStats::Totals& totals) {
  using Stats = connection::ListenerStats;
  for (std::size_t i = 0; i < totals.requests.size(); ++i) {
    // A code never answered has no series, as is usual for a label with many values.
    if (totals.requests[i] == 0) continue;
    Labels labels = listener;
    labels.push_back(
        {"code", i < Stats::kCodes.size() ? std::to_string(Stats::kCodes[i]) : "other"});
    out.counter("netsvcd_http_requests_total", "HTTP requests answered, by status code.", labels,
                static_cast<double>(totals.requests[i]));
  }
  ClientMetric metric;
  metric.label = listener;
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < Stats::kBuckets.size(); ++i) {
    cumulative += totals.durations[i];
    metric.histogram.bucket.push_back({cumulative, Stats::kBuckets[i]});
  }
  cumulative += totals.durations.back();
  metric.histogram.bucket.push_back({cumulative, std::numeric_limits<double>::infinity()});
  metric.histogram.sample_count = cumulative;
  metric.histogram.sample_sum = std::chrono::duration<double>(totals.duration_sum).count();
  out.family("netsvcd_http_request_duration_seconds",
             "Time from a request's head read to its answer ready to send.", MetricType::Histogram)
      .metric.push_back(std::move(metric));
}

void add_listener(Families& out, const ListenerView& view) {
  const Labels listener{{"listener", view.name}};
  const auto totals = view.load->stats().totals();
  out.counter("netsvcd_connections_accepted_total",
              "Connections accepted, including those then rejected.", listener,
              static_cast<double>(totals.accepted));
  out.gauge("netsvcd_connections_active", "Connections open now.", listener,
            static_cast<double>(totals.active()));
  for (std::size_t i = 0; i < connection::kRefusalKinds; ++i) {
    const auto reason = static_cast<connection::Refusal>(i);
    Labels labels = listener;
    labels.push_back({"reason", std::string(connection::to_string(reason))});
    out.counter("netsvcd_connections_rejected_total",
                "Connections closed unserved, by the limit or check that rejected them.", labels,
                static_cast<double>(view.load->refusals(reason)));
  }
  out.counter("netsvcd_sent_bytes_total", "Bytes sent to clients.", listener,
              static_cast<double>(totals.sent_bytes));
  if (view.datagrams) {
    out.counter("netsvcd_datagrams_received_total", "UDP datagrams received.", listener,
                static_cast<double>(totals.datagrams_received));
    out.counter("netsvcd_datagrams_answered_total", "UDP datagrams answered.", listener,
                static_cast<double>(totals.datagrams_answered));
    for (std::size_t i = 0; i < connection::kDatagramDropKinds; ++i) {
      Labels labels = listener;
      labels.push_back(
          {"reason", std::string(connection::to_string(static_cast<connection::DatagramDrop>(i)))});
      out.counter("netsvcd_datagrams_dropped_total",
                  "UDP datagrams left unanswered, by the rule or failure that dropped them.",
                  labels, static_cast<double>(totals.datagrams_dropped[i]));
    }
  }
  const ServiceMetrics service = view.service ? view.service() : ServiceMetrics{};
  if (service.http) add_http(out, listener, totals);
  if (service.cache_entries) {
    out.counter("netsvcd_cache_hits_total", "Answers served from the cache.", listener,
                static_cast<double>(totals.cache_hits));
    out.counter("netsvcd_cache_misses_total", "Answers worked out because the cache had none.",
                listener, static_cast<double>(totals.cache_misses));
    out.gauge("netsvcd_cache_entries", "Answers held in the cache now.", listener,
              static_cast<double>(*service.cache_entries));
  }
  if (service.dictionary_words) {
    out.gauge("netsvcd_dictionary_words", "Words in the listener's dictionary.", listener,
              static_cast<double>(*service.dictionary_words));
  }
}

}  // namespace

std::string render_prometheus(const DaemonState::Snapshot& state,
                              DaemonState::SystemClock::time_point now) {
  Families families;
  add_daemon(families, state, now);
  for (const auto& listener : state.listeners)
    add_listener(families, listener);
  std::ostringstream text;
  prometheus::TextSerializer().Serialize(text, families.all());
  return std::move(text).str();
}

}  // namespace netsvcd::metrics
