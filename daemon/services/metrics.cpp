// The metrics kind: an HTTP/1.1 listener, on the same session as the word finder, for the
// monitoring: GET /metrics in Prometheus's text format (metrics/exposition.hpp) and GET /healthz,
// which a load balancer asks (200 once netsvcd is ready; 503 while it starts, reloads or stops).
// Both read the process's DaemonState at the time of the request.
#include <memory>
#include <string>

#include "config/listener_kind.hpp"
#include "config/mapping_reader.hpp"
#include "http/session.hpp"
#include "metrics/daemon_state.hpp"
#include "metrics/exposition.hpp"
#include "services/service.hpp"

namespace netsvcd::services {
namespace {

class MetricsRouter final : public http::Router {
 public:
  http::Response route(const http::Request& request) const override {
    if (request.method != "GET" && request.method != "HEAD") {
      auto response = http::error_response(
          405, "method " + std::string(request.method) + " not allowed (expected GET or HEAD)");
      response.allow = "GET, HEAD";
      return response;
    }
    if (request.path == "/metrics") {
      auto& state = metrics::daemon_state();
      return http::text_response(200, metrics::kPrometheusContentType,
                                 std::make_shared<const std::string>(metrics::render_prometheus(
                                     state.snapshot(), metrics::DaemonState::SystemClock::now())));
    }
    if (request.path == "/healthz") {
      const auto phase = metrics::daemon_state().phase();
      return http::text_response(phase == metrics::Phase::ready ? 200 : 503, kText, phrase(phase));
    }
    if (request.path == "/") return http::text_response(200, kText, usage_);
    return http::error_response(404, "not found: GET /metrics or GET /healthz");
  }

 private:
  static constexpr std::string_view kText = "text/plain; charset=utf-8";

  // One shared text per phase, so that a health check costs no allocation.
  const std::shared_ptr<const std::string>& phrase(metrics::Phase phase) const {
    return phrases_[static_cast<std::size_t>(phase)];
  }

  const std::shared_ptr<const std::string> usage_ = std::make_shared<const std::string>(
      "netsvcd metrics\n"
      "GET /metrics  Prometheus text format (version 0.0.4)\n"
      "GET /healthz  200 when ready; 503 while starting, reloading or stopping\n");
  const std::array<std::shared_ptr<const std::string>, 4> phrases_{
      std::make_shared<const std::string>("starting\n"),
      std::make_shared<const std::string>("ready\n"),
      std::make_shared<const std::string>("reloading\n"),
      std::make_shared<const std::string>("stopping\n")};
};

class MetricsService final : public Service {
 public:
  explicit MetricsService(http::SessionLimits limits) : limits_(limits) {}

  void serve(connection::StreamConnection connection) const override {
    connection.pin();
    http::serve_http(std::move(connection), limits_, router_, shared_from_this());
  }

  metrics::ServiceMetrics metrics() const override {
    metrics::ServiceMetrics reported;
    reported.http = true;
    return reported;
  }

 private:
  MetricsRouter router_;
  http::SessionLimits limits_;
};

std::shared_ptr<const Service> configure(config::MappingReader& options,
                                         const config::ListenerTraits& /*listener*/) {
  const std::size_t errors_before = options.errors().size();
  http::SessionLimits limits;
  limits.request_timeout = options.duration("request_timeout", std::chrono::milliseconds(1))
                               .value_or(limits.request_timeout);
  limits.idle_timeout =
      options.duration("idle_timeout", std::chrono::milliseconds(1)).value_or(limits.idle_timeout);
  if (options.errors().size() != errors_before) return nullptr;
  return std::make_shared<MetricsService>(limits);
}

constexpr std::string_view kKeys[] = {"request_timeout", "idle_timeout"};

}  // namespace

extern const config::ListenerKind kMetricsKind{"metrics", kKeys, false, &configure};

}  // namespace netsvcd::services
