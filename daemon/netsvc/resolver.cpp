#include "netsvc/resolver.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace netsvc {

std::string Endpoint::address() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&storage);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
  } else if (family() == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&storage);
    ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
  }
  return text;
}

bool Endpoint::operator==(const Endpoint& other) const {
  return length == other.length && std::memcmp(&storage, &other.storage, length) == 0;
}

std::optional<Endpoint> Endpoint::numeric(std::string_view text, std::uint16_t port) {
  Endpoint endpoint;
  const std::string copy(text);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&endpoint.storage);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&endpoint.storage);
  if (::inet_pton(AF_INET6, copy.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    endpoint.length = sizeof(sockaddr_in6);
    return endpoint;
  }
  if (::inet_pton(AF_INET, copy.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    endpoint.length = sizeof(sockaddr_in);
    return endpoint;
  }
  return std::nullopt;
}

Outcome<Resolution> resolve(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  // One entry per address rather than one per socket type.
  hints.ai_socktype = SOCK_STREAM;
  // No AI_ADDRCONFIG: it drops ::1 on a host whose only IPv6 address is loopback's.
  hints.ai_flags = AI_CANONNAME | AI_NUMERICSERV;
  addrinfo* raw = nullptr;
  const int status = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &raw);
  const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(raw, &::freeaddrinfo);
  if (status != 0) {
    const std::string why = status == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(status);
    return Failure{kExitNoHost, "cannot resolve " + host + " (" + why + ")"};
  }
  Resolution resolution;
  resolution.canonical_name = list->ai_canonname ? list->ai_canonname : host;
  for (const addrinfo* info = list.get(); info != nullptr; info = info->ai_next) {
    if (info->ai_family != AF_INET && info->ai_family != AF_INET6) continue;
    if (info->ai_addrlen > sizeof(sockaddr_storage)) continue;
    Endpoint endpoint;
    std::memcpy(&endpoint.storage, info->ai_addr, info->ai_addrlen);
    endpoint.length = info->ai_addrlen;
    if (std::find(resolution.endpoints.begin(), resolution.endpoints.end(), endpoint) ==
        resolution.endpoints.end()) {
      resolution.endpoints.push_back(endpoint);
    }
  }
  if (resolution.endpoints.empty()) {
    return Failure{kExitNoHost, "cannot resolve " + host + " (no IPv4 or IPv6 address)"};
  }
  return resolution;
}

}  // namespace netsvc
