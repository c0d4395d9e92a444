#include "services/registry.hpp"

#include <array>

namespace netsvcd::services {

// Each kind lives in its own file; adding one is that file plus one line here.
extern const config::ListenerKind kHelloKind;
extern const config::ListenerKind kTimeKind;
extern const config::ListenerKind kWordfinderKind;
extern const config::ListenerKind kMetricsKind;

namespace {
constexpr std::array kKinds{&kHelloKind, &kTimeKind, &kWordfinderKind, &kMetricsKind};
}  // namespace

config::ListenerKinds listener_kinds() {
  return kKinds;
}

}  // namespace netsvcd::services
