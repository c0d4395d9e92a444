#include "http/request_head.hpp"

#include <boost/beast/http/error.hpp>

namespace netsvcd::http {
namespace {

std::string_view view(boost::beast::string_view text) {
  return {text.data(), text.size()};
}

}  // namespace

std::size_t RequestHead::parse(std::string_view head, std::size_t max_bytes, error_code& ec) {
  header_limit(static_cast<std::uint32_t>(max_bytes));
  eager(false);
  const auto used = put(boost::asio::buffer(head.data(), head.size()), ec);
  // A field folded over several lines (obs-fold) reaches on_field_impl from the parser's own
  // stack, not from `head`: such a value is not kept.
  if (!accept.empty() &&
      (accept.data() < head.data() || accept.data() + accept.size() > head.data() + head.size())) {
    accept = {};
  }
  return used;
}

void RequestHead::on_request_impl(boost::beast::http::verb verb, string_view method_string,
                                  string_view request_target, int http_version, error_code&) {
  method = verb;
  method_text = view(method_string);
  target = view(request_target);
  version = http_version;
}

void RequestHead::on_field_impl(boost::beast::http::field name, string_view, string_view value,
                                error_code&) {
  if (name == boost::beast::http::field::host) has_host = true;
  if (name == boost::beast::http::field::accept && accept.empty()) accept = view(value);
}

std::variant<std::size_t, boost::system::error_code> find_head(std::string_view buffered,
                                                               std::size_t max_bytes) {
  if (const auto end = buffered.find("\r\n\r\n"); end != std::string_view::npos) return end + 4;
  if (buffered.size() > max_bytes) {
    return boost::system::error_code(boost::beast::http::error::header_limit);
  }
  return std::size_t{0};
}

}  // namespace netsvcd::http
