// The time kind (inetd's daytime, RFC 867, or RFC 868's binary time): write the current UTC time
// in the listener's format, then close.
#include <memory>
#include <string>

#include <yaml-cpp/yaml.h>

#include "config/listener_kind.hpp"
#include "config/mapping_reader.hpp"
#include "net/send_and_close.hpp"
#include "services/service.hpp"
#include "services/time_format.hpp"

namespace netsvcd::services {
namespace {

class TimeService final : public Service {
 public:
  explicit TimeService(TimeFormat format) : format_(std::move(format)) {}

  asio::awaitable<void> serve(tcp::socket socket, const ConnectionInfo& info) const override {
    const std::string now = format_time(format_, std::chrono::system_clock::now());
    co_await net::send_and_close(socket, now, info);
  }

 private:
  const TimeFormat format_;
};

std::shared_ptr<const Service> configure(config::MappingReader& options) {
  if (!options.find("format").IsDefined()) return std::make_shared<TimeService>(TimeFormat{});
  const auto text = options.string("format");
  if (!text) return nullptr;
  std::string error;
  auto format = TimeFormat::parse(*text, error);
  if (!format) {
    options.error("format", error);
    return nullptr;
  }
  return std::make_shared<TimeService>(std::move(*format));
}

constexpr std::string_view kKeys[] = {"format"};

}  // namespace

extern const config::ListenerKind kTimeKind{"time", kKeys, &configure};

}  // namespace netsvcd::services
