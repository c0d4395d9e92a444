#include "services/registry.hpp"

#include <array>

namespace netsvcd::services {

// Each kind lives in its own file; adding one is that file plus one line here.
extern const config::ListenerKind kHelloKind;
extern const config::ListenerKind kTimeKind;
extern const config::ListenerKind kWordfinderKind;

namespace {
constexpr std::array kKinds{&kHelloKind, &kTimeKind, &kWordfinderKind};
}  // namespace

config::ListenerKinds listener_kinds() {
  return kKinds;
}

}  // namespace netsvcd::services
