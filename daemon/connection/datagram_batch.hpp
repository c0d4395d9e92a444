// DatagramBatch: the datagrams one wake-up of a UDP socket takes in (recvmmsg) and the answers it
// sends back (sendmmsg), each from the address its request was sent to (IP_PKTINFO,
// IPV6_PKTINFO), so that a wildcard socket of a host with several addresses answers from the
// right one. Every buffer is made once, with the batch: nothing is allocated per datagram, and
// nothing of a datagram outlives its batch. Owned by one socket's loop; one thread at a time.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "connection/datagram_guard.hpp"

namespace netsvcd::connection {

// Asks the kernel for each datagram's destination address on the UDP socket `fd` of `family`
// (AF_INET, or AF_INET6, which may receive IPv4 too); errno's message if it cannot.
std::optional<std::string> enable_destination_info(int fd, int family);

class DatagramBatch {
 public:
  static constexpr std::size_t kSize = 64;

  struct Sent {
    std::size_t answered = 0;
    std::size_t failed = 0;  // the kernel refused them (no route, a full buffer, ...)
    int error = 0;           // errno of the first refusal
  };

  DatagramBatch();
  DatagramBatch(const DatagramBatch&) = delete;
  DatagramBatch& operator=(const DatagramBatch&) = delete;

  // Takes up to kSize datagrams waiting on `fd` without waiting: how many, 0 when none are, or
  // -errno. Their contents are not kept: every answer netsvcd gives over UDP ignores them.
  int receive(int fd);
  // Where each datagram received came from.
  std::span<const DatagramGuard::Source> sources() const { return {sources_.data(), received_}; }
  // Sends `payload` back for each datagram received whose verdict is nullopt.
  Sent answer(int fd, std::string_view payload,
              std::span<const std::optional<DatagramDrop>> verdicts);

 private:
  // Room for the one control message asked for: in6_pktinfo (20 bytes) or in_pktinfo (12).
  static constexpr std::size_t kControlSpace = CMSG_SPACE(sizeof(in6_pktinfo));

  std::array<mmsghdr, kSize> received_headers_{};
  std::array<sockaddr_storage, kSize> peers_{};
  std::array<iovec, kSize> request_parts_{};
  std::array<std::array<char, 64>, kSize> requests_{};  // read into and never looked at
  alignas(cmsghdr) std::array<std::array<unsigned char, kControlSpace>, kSize> received_control_{};
  std::array<DatagramGuard::Source, kSize> sources_{};
  std::size_t received_ = 0;

  std::array<mmsghdr, kSize> answer_headers_{};
  std::array<iovec, kSize> answer_parts_{};
  alignas(cmsghdr) std::array<std::array<unsigned char, kControlSpace>, kSize> answer_control_{};
};

}  // namespace netsvcd::connection
