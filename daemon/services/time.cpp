// The time kind (inetd's daytime, RFC 867, or RFC 868's binary time): write the current UTC time
// in the listener's format, then close.
#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include <yaml-cpp/yaml.h>

#include "config/listener_kind.hpp"
#include "config/mapping_reader.hpp"
#include "services/service.hpp"
#include "services/time_format.hpp"

namespace netsvcd::services {
namespace {

class TimeService final : public MessageService {
 public:
  explicit TimeService(TimeFormat format) : format_(std::move(format)) {}

  // Every format has whole seconds at most, so each pool thread formats the time once a second
  // per time listener it serves, not once a connection.
  Message message() const override {
    const auto now = std::chrono::system_clock::now();
    const auto second = std::chrono::floor<std::chrono::seconds>(now);
    thread_local std::array<Formatted, kCachedPerThread> cache;
    thread_local std::size_t next_slot = 0;
    for (const Formatted& formatted : cache) {
      if (formatted.service == id_ && formatted.second == second) return {formatted.text, false};
    }
    Formatted& slot = cache[next_slot++ % cache.size()];
    slot = {id_, second, format_time(format_, now)};
    return {slot.text, false};
  }

 private:
  // One formatted second of one time listener. A listener is known by a number no other
  // service gets, not by its address, which a later service may reuse after a reload.
  struct Formatted {
    std::uint64_t service = 0;
    std::chrono::sys_seconds second{};
    std::string text;
  };
  // Time listeners a thread serves in the same second before one formats again.
  static constexpr std::size_t kCachedPerThread = 4;
  static inline std::atomic<std::uint64_t> next_id_{1};

  const TimeFormat format_;
  const std::uint64_t id_ = next_id_.fetch_add(1, std::memory_order_relaxed);
};

std::shared_ptr<const Service> configure(config::MappingReader& options,
                                         const config::ListenerTraits& /*listener*/) {
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

extern const config::ListenerKind kTimeKind{"time", kKeys, true, &configure};

}  // namespace netsvcd::services
