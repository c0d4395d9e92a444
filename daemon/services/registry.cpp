#include "services/registry.hpp"

#include <algorithm>
#include <array>

namespace netsvcd::services {

// Each kind lives in its own file; adding one is that file plus one line here.
extern const ServiceKind kHelloKind;
extern const ServiceKind kTimeKind;
extern const ServiceKind kWordfinderKind;

namespace {
constexpr std::array kKinds{&kHelloKind, &kTimeKind, &kWordfinderKind};
}  // namespace

std::span<const ServiceKind* const> service_kinds() {
  return kKinds;
}

const ServiceKind* find_service_kind(std::string_view name) {
  const auto it = std::find_if(kKinds.begin(), kKinds.end(),
                               [&](const ServiceKind* kind) { return kind->name == name; });
  return it == kKinds.end() ? nullptr : *it;
}

std::string service_kind_names() {
  std::string names;
  for (const ServiceKind* kind : kKinds) {
    if (!names.empty()) names += ", ";
    names += kind->name;
  }
  return names;
}

}  // namespace netsvcd::services
