#include "connection/datagram_batch.hpp"

#include <cerrno>
#include <cstring>

#include "connection/peer.hpp"

namespace netsvcd::connection {
namespace {

// The answer's control message: the request's destination as the answer's source, in the form
// the request's came in. The interface stays the kernel's choice for IPv4 (the route decides);
// IPv6 needs it for a link-local address.
std::size_t answer_control(msghdr& request, unsigned char* out) {
  for (cmsghdr* in = CMSG_FIRSTHDR(&request); in; in = CMSG_NXTHDR(&request, in)) {
    auto* header = reinterpret_cast<cmsghdr*>(out);
    if (in->cmsg_level == IPPROTO_IP && in->cmsg_type == IP_PKTINFO) {
      in_pktinfo received;
      std::memcpy(&received, CMSG_DATA(in), sizeof received);
      in_pktinfo info{};
      info.ipi_spec_dst = received.ipi_addr;
      header->cmsg_level = IPPROTO_IP;
      header->cmsg_type = IP_PKTINFO;
      header->cmsg_len = CMSG_LEN(sizeof info);
      std::memcpy(CMSG_DATA(header), &info, sizeof info);
      return CMSG_SPACE(sizeof info);
    }
    if (in->cmsg_level == IPPROTO_IPV6 && in->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info;
      std::memcpy(&info, CMSG_DATA(in), sizeof info);
      header->cmsg_level = IPPROTO_IPV6;
      header->cmsg_type = IPV6_PKTINFO;
      header->cmsg_len = CMSG_LEN(sizeof info);
      std::memcpy(CMSG_DATA(header), &info, sizeof info);
      return CMSG_SPACE(sizeof info);
    }
  }
  return 0;  // none came: the kernel picks the source, as for any unconnected send
}

}  // namespace

std::optional<std::string> enable_destination_info(int fd, int family) {
  const int on = 1;
  // An IPv6 socket that also takes IPv4 reports an IPv4 datagram's destination as IPv4-mapped.
  const bool ok = family == AF_INET
                      ? ::setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on) == 0
                      : ::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on) == 0;
  if (!ok) return std::strerror(errno);
  return std::nullopt;
}

DatagramBatch::DatagramBatch() {
  for (std::size_t i = 0; i < kSize; ++i) {
    request_parts_[i] = {requests_[i].data(), requests_[i].size()};
    answer_headers_[i].msg_hdr.msg_iov = &answer_parts_[i];
    answer_headers_[i].msg_hdr.msg_iovlen = 1;
  }
}

int DatagramBatch::receive(int fd) {
  for (std::size_t i = 0; i < kSize; ++i) {
    msghdr& header = received_headers_[i].msg_hdr;
    header.msg_name = &peers_[i];
    header.msg_namelen = sizeof peers_[i];
    header.msg_iov = &request_parts_[i];
    header.msg_iovlen = 1;
    header.msg_control = received_control_[i].data();
    header.msg_controllen = received_control_[i].size();
    header.msg_flags = 0;
  }
  received_ = 0;
  const int count = ::recvmmsg(fd, received_headers_.data(), kSize, MSG_DONTWAIT, nullptr);
  if (count < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
  received_ = static_cast<std::size_t>(count);
  for (std::size_t i = 0; i < received_; ++i) {
    const Peer peer = Peer::from(peers_[i]);
    sources_[i] = {peer.address, peer.port};
  }
  return count;
}

DatagramBatch::Sent DatagramBatch::answer(int fd, std::string_view payload,
                                          std::span<const std::optional<DatagramDrop>> verdicts) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < received_ && i < verdicts.size(); ++i) {
    if (verdicts[i]) continue;
    msghdr& request = received_headers_[i].msg_hdr;
    msghdr& header = answer_headers_[count].msg_hdr;
    header.msg_name = &peers_[i];
    header.msg_namelen = request.msg_namelen;
    answer_parts_[count] = {const_cast<char*>(payload.data()), payload.size()};
    const std::size_t control = answer_control(request, answer_control_[count].data());
    header.msg_control = control ? answer_control_[count].data() : nullptr;
    header.msg_controllen = control;
    header.msg_flags = 0;
    ++count;
  }
  Sent sent;
  std::size_t next = 0;
  while (next < count) {
    const int done = ::sendmmsg(fd, answer_headers_.data() + next,
                                static_cast<unsigned>(count - next), MSG_DONTWAIT);
    if (done > 0) {
      sent.answered += static_cast<std::size_t>(done);
      next += static_cast<std::size_t>(done);
      continue;
    }
    // sendmmsg stops at the first answer the kernel refuses: count it and go on past it (a
    // full send buffer drops the answer, as a router would; nothing waits on a client).
    if (sent.error == 0) sent.error = errno;
    ++sent.failed;
    ++next;
  }
  return sent;
}

}  // namespace netsvcd::connection
