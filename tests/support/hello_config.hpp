// hello_config: the YAML of the one-listener config most integration tests start from: a hello
// listener called "hello" on 127.0.0.1:port, or on another address. Header-only, pure.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace netsvcd::test {

// A hello listener called "hello" on `address` (such as "[::]:8080"). `listener_keys` are more
// lines of the listener's mapping, each indented by four spaces.
inline std::string hello_config_on(std::string_view address, std::string_view listener_keys = {}) {
  return fmt::format(R"(listeners:
  - name: hello
    kind: hello
    listen: ["{}"]
{}
)",
                     address, listener_keys);
}

// The same on 127.0.0.1:port.
inline std::string hello_config(std::uint16_t port, std::string_view listener_keys = {}) {
  return hello_config_on(fmt::format("127.0.0.1:{}", port), listener_keys);
}

}  // namespace netsvcd::test
