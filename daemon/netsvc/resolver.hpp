// Name resolution with getaddrinfo (reentrant, unlike gethostbyname): every IPv4 and IPv6
// address of a name, deduplicated, with its canonical name. Endpoint is a plain value; the
// functions keep no state and are safe from any thread.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netsvc/exit_codes.hpp"

namespace netsvc {

struct Endpoint {
  sockaddr_storage storage{};
  socklen_t length = 0;

  int family() const { return storage.ss_family; }
  // The address alone, as inet_ntop writes it: "127.0.0.1", "::1".
  std::string address() const;
  bool operator==(const Endpoint& other) const;

  // A numeric address with a port; nullopt if `text` is not one (tests build lists with it).
  static std::optional<Endpoint> numeric(std::string_view text, std::uint16_t port);
};

struct Resolution {
  std::string canonical_name;       // the name itself if the resolver gave none
  std::vector<Endpoint> endpoints;  // in the resolver's order (RFC 6724), duplicates removed
};

// Failure: kExitNoHost "cannot resolve HOST (<gai_strerror>)".
Outcome<Resolution> resolve(const std::string& host, std::uint16_t port);

}  // namespace netsvc
