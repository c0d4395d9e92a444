#include "connection/proxy_reader.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "connection/deadlines.hpp"
#include "connection/proxy_header.hpp"

namespace netsvcd::connection {
namespace {

void cancel_socket(void* socket) {
  boost::system::error_code ignored;
  static_cast<Socket*>(socket)->cancel(ignored);
}

// Takes `count` bytes that a peek has shown are there from `socket` into `into`.
bool take(int socket, char* into, std::size_t count) {
  if (count == 0) return true;
  const ssize_t got = ::recv(socket, into, count, MSG_DONTWAIT);
  return got >= 0 && static_cast<std::size_t>(got) == count;
}

}  // namespace

bool ProxyProtocol::trusts(const boost::asio::ip::address& proxy) const {
  return std::ranges::any_of(from, [&](const config::Cidr& cidr) { return cidr.contains(proxy); });
}

ProxyReader::Step ProxyReader::ended() {
  if (partial_.empty()) return Step::closed;
  why_ = "the connection ended inside its PROXY header";
  return Step::malformed;
}

ProxyReader::Step ProxyReader::read_now(int socket) {
  // What was taken before, then a peek at what has come since: never more than a header's
  // longest, so that a malformed one is known without reading further.
  std::array<char, kMaxProxyHeader> buffer;
  const std::size_t kept = partial_.size();
  std::copy(partial_.begin(), partial_.end(), buffer.begin());
  const ssize_t peeked =
      ::recv(socket, buffer.data() + kept, buffer.size() - kept, MSG_PEEK | MSG_DONTWAIT);
  if (peeked < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return Step::more;
    return ended();  // reset
  }
  if (peeked == 0) return ended();
  const auto fresh = static_cast<std::size_t>(peeked);
  const ProxyHeader header = parse_proxy_header({buffer.data(), kept + fresh});
  switch (header.status) {
    case ProxyHeader::Status::malformed:
      why_ = header.error;
      return Step::malformed;
    case ProxyHeader::Status::incomplete:
      // Every byte seen belongs to the header: taken from the socket, so that the next wait
      // is for bytes not yet seen rather than woken at once by these.
      if (!take(socket, buffer.data() + kept, fresh)) return ended();
      partial_.append(buffer.data() + kept, fresh);
      return Step::more;
    case ProxyHeader::Status::complete:
      // Exactly the header's bytes; what follows them stays in the socket for the service.
      if (!take(socket, buffer.data() + kept, header.length - kept)) return ended();
      if (header.client) peer_ = header.client->relayed_by(peer_);
      partial_ = std::string();
      return Step::done;
  }
  return Step::malformed;
}

Task<ProxyReader::Step> ProxyReader::wait(UniqueFd& socket, asio::io_context& context,
                                          std::chrono::milliseconds timeout) {
  Socket registered(context.get_executor());
  boost::system::error_code ec;
  registered.assign(peer_.socket_is_v4() ? tcp::v4() : tcp::v6(), socket.get(), ec);
  if (ec) throw boost::system::system_error(ec, "registering a connection");
  socket.release();
  // However the wait ends, the descriptor goes back to `socket`, out of the context's epoll.
  struct HandBack {
    Socket& from;
    UniqueFd& to;
    ~HandBack() {
      boost::system::error_code ignored;
      to.reset(from.release(ignored));
    }
  } hand_back{registered, socket};
  Deadlines::Entry deadline(context, &cancel_socket, &registered);
  deadline.working(timeout);
  for (;;) {
    const auto [wait_ec] = co_await registered.async_wait(tcp::socket::wait_read, use_nothrow);
    // Bytes that came as the deadline passed are late all the same.
    if (deadline.expired() != Deadlines::Expiry::none) co_return Step::late;
    if (wait_ec) co_return ended();
    const Step step = read_now(registered.native_handle());
    if (step != Step::more) co_return step;
  }
}

}  // namespace netsvcd::connection
