#include "support/ports.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>

namespace netsvcd::test {
namespace {

constexpr int kLowest = 10000;

// Below the kernel's ephemeral range, which client connections draw their ports from.
int highest_port() {
  int first_ephemeral = 32768;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> first_ephemeral;
  return first_ephemeral - 1;
}

bool bindable(std::uint16_t port, int type) {
  // A dual-stack wildcard bind succeeds only if nothing holds the port on any address.
  const int fd = ::socket(AF_INET6, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const int off = 0;
  ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_any;
  address.sin6_port = htons(port);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

// Holds the lock until the process ends; the descriptor is deliberately never closed.
bool reserve(std::uint16_t port) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "netsvcd-test-ports";
  std::filesystem::create_directories(dir);
  const auto path = dir / std::to_string(port);
  const int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0666);
  if (fd < 0) return false;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return false;
  }
  return true;
}

}  // namespace

std::uint16_t free_port() {
  static std::mt19937 random(std::random_device{}());
  static const int highest = highest_port();
  if (highest <= kLowest) throw std::runtime_error("the ephemeral port range leaves no room below");
  std::uniform_int_distribution<int> pick(kLowest, highest);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const auto port = static_cast<std::uint16_t>(pick(random));
    if (reserve(port) && bindable(port, SOCK_STREAM) && bindable(port, SOCK_DGRAM)) return port;
  }
  throw std::runtime_error("no free port found below the ephemeral range");
}

}  // namespace netsvcd::test
