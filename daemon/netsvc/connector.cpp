#include "netsvc/connector.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>

namespace netsvc {
namespace {

using Clock = std::chrono::steady_clock;

std::string with_port(const Endpoint& endpoint) {
  const auto port = endpoint.family() == AF_INET6
                        ? ntohs(reinterpret_cast<const sockaddr_in6*>(&endpoint.storage)->sin6_port)
                        : ntohs(reinterpret_cast<const sockaddr_in*>(&endpoint.storage)->sin_port);
  const auto address = endpoint.address();
  return (endpoint.family() == AF_INET6 ? "[" + address + "]" : address) + ":" +
         std::to_string(port);
}

struct Attempt {
  UniqueFd fd;
  const Endpoint* endpoint;
  Clock::time_point deadline;
};

}  // namespace

std::vector<Endpoint> interleave_families(const std::vector<Endpoint>& endpoints) {
  if (endpoints.empty()) return {};
  const int first = endpoints.front().family();
  std::deque<const Endpoint*> preferred;
  std::deque<const Endpoint*> other;
  for (const auto& endpoint : endpoints) {
    (endpoint.family() == first ? preferred : other).push_back(&endpoint);
  }
  std::vector<Endpoint> order;
  order.reserve(endpoints.size());
  bool take_preferred = true;
  while (!preferred.empty() || !other.empty()) {
    auto& queue = (take_preferred && !preferred.empty()) || other.empty() ? preferred : other;
    order.push_back(*queue.front());
    queue.pop_front();
    take_preferred = !take_preferred;
  }
  return order;
}

Outcome<Stream> connect_first(const std::vector<Endpoint>& endpoints,
                              const ConnectOptions& options) {
  std::vector<Attempt> attempts;
  std::vector<std::string> errors;  // one per address that failed, for the message
  std::size_t next = 0;
  auto next_start = Clock::now();
  const auto failed = [&](const Endpoint& endpoint, const std::string& why) {
    errors.push_back(why + " (" + with_port(endpoint) + ")");
    // RFC 8305 section 5: a failed attempt lets the next one start at once.
    next_start = Clock::now();
  };

  for (;;) {
    auto now = Clock::now();
    if (next < endpoints.size() && now >= next_start) {
      const Endpoint& endpoint = endpoints[next++];
      UniqueFd fd(::socket(endpoint.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
      if (!fd) {
        failed(endpoint, std::strerror(errno));
        continue;
      }
      if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&endpoint.storage),
                    endpoint.length) == 0) {
        return Stream(std::move(fd), with_port(endpoint), options.io_timeout);
      }
      if (errno != EINPROGRESS) {
        failed(endpoint, std::strerror(errno));
        continue;
      }
      attempts.push_back({std::move(fd), &endpoint, now + options.attempt_timeout});
      next_start = now + options.stagger;
    }
    if (attempts.empty()) {
      if (next < endpoints.size()) continue;
      std::string why;
      for (const auto& error : errors)
        why += (why.empty() ? "" : "; ") + error;
      return Failure{kExitUnavailable, "cannot connect: " + why};
    }

    auto wake = std::min_element(attempts.begin(), attempts.end(), [](auto& a, auto& b) {
                  return a.deadline < b.deadline;
                })->deadline;
    if (next < endpoints.size()) wake = std::min(wake, next_start);
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(wake - now);
    std::vector<pollfd> polled;
    for (const auto& attempt : attempts)
      polled.push_back({attempt.fd.get(), POLLOUT, 0});
    const int ready = ::poll(polled.data(), polled.size(),
                             static_cast<int>(std::max<std::int64_t>(wait.count(), 0)));
    if (ready < 0 && errno != EINTR) {
      return Failure{kExitUnavailable,
                     std::string("cannot connect: poll: ") + std::strerror(errno)};
    }
    now = Clock::now();
    std::vector<Attempt> pending;
    for (std::size_t i = 0; i < attempts.size(); ++i) {
      auto& attempt = attempts[i];
      if (polled[i].revents != 0) {
        int error = 0;
        socklen_t length = sizeof error;
        ::getsockopt(attempt.fd.get(), SOL_SOCKET, SO_ERROR, &error, &length);
        if (error == 0) {
          // The other attempts close as `attempts` goes.
          return Stream(std::move(attempt.fd), with_port(*attempt.endpoint), options.io_timeout);
        }
        failed(*attempt.endpoint, std::strerror(error));
      } else if (now >= attempt.deadline) {
        failed(*attempt.endpoint,
               "timed out after " + std::to_string(options.attempt_timeout.count()) + " ms");
      } else {
        pending.push_back(std::move(attempt));
      }
    }
    attempts = std::move(pending);
  }
}

Outcome<Stream> connect_to(const HostPort& target, const ConnectOptions& options) {
  auto resolution = resolve(target.host, target.port);
  if (!resolution) return resolution.failure();
  return connect_first(interleave_families(resolution->endpoints), options);
}

}  // namespace netsvc
