#include "http/response_head.hpp"

#include <charconv>
#include <ctime>

#include <boost/beast/http/status.hpp>

#include "version.hpp"

namespace netsvcd::http {
namespace {

// RFC 9110's IMF-fixdate, formatted once a second per thread, in the C locale netsvcd always
// runs in.
std::string_view http_date() {
  thread_local std::time_t formatted_second = -1;
  thread_local std::array<char, 40> text;
  thread_local std::size_t length = 0;
  const std::time_t now = std::time(nullptr);
  if (now != formatted_second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    length = std::strftime(text.data(), text.size(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    formatted_second = now;
  }
  return {text.data(), length};
}

// Appends to a fixed buffer; what does not fit is dropped, which the buffer's size, larger
// than the longest head, rules out.
class Writer {
 public:
  explicit Writer(HeadBuffer& out) : out_(out) {}
  Writer& operator<<(std::string_view text) {
    const auto n = std::min(text.size(), out_.size() - size_);
    text.copy(out_.data() + size_, n);
    size_ += n;
    return *this;
  }
  Writer& operator<<(std::size_t number) {
    std::array<char, 24> digits;
    const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), number).ptr;
    return *this << std::string_view(digits.data(), static_cast<std::size_t>(end - digits.data()));
  }
  std::string_view written() const { return {out_.data(), size_}; }

 private:
  HeadBuffer& out_;
  std::size_t size_ = 0;
};

}  // namespace

std::string_view format_head(HeadBuffer& out, const Response& response, int version,
                             bool keep_alive) {
  static const std::string server = std::string("netsvcd/") + kVersion;
  const auto reason =
      boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(response.status));
  Writer head(out);
  head << (version >= 11 ? "HTTP/1.1 " : "HTTP/1.0 ") << std::size_t{response.status} << " "
       << std::string_view(reason.data(), reason.size()) << "\r\nServer: " << server
       << "\r\nDate: " << http_date() << "\r\nContent-Type: " << response.content_type
       << "\r\nContent-Length: " << response.body_size() << "\r\n";
  if (!response.allow.empty()) head << "Allow: " << response.allow << "\r\n";
  if (response.retry_after > 0)
    head << "Retry-After: " << std::size_t{response.retry_after} << "\r\n";
  head << response.headers;
  // HTTP/1.1 keeps a connection unless told otherwise, HTTP/1.0 closes it unless told otherwise.
  if (version >= 11 && !keep_alive) head << "Connection: close\r\n";
  if (version < 11 && keep_alive) head << "Connection: keep-alive\r\n";
  head << "\r\n";
  return head.written();
}

}  // namespace netsvcd::http
