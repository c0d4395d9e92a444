#include "http/message.hpp"

#include <nlohmann/json.hpp>

namespace netsvcd::http {

std::string Response::body() const {
  std::string body(prefix.view());
  if (shared) body += *shared;
  body += tail.view();
  return body;
}

Response error_response(unsigned status, std::string_view message) {
  // A message may quote what the client sent, which need not be UTF-8: replace what is not
  // rather than fail.
  return text_response(status, "application/json",
                       std::make_shared<const std::string>(
                           nlohmann::json{{"error", message}}.dump(
                               -1, ' ', false, nlohmann::json::error_handler_t::replace) +
                           '\n'));
}

Response text_response(unsigned status, std::string_view content_type,
                       std::shared_ptr<const std::string> text) {
  Response response;
  response.status = status;
  response.content_type = content_type;
  response.shared = std::move(text);
  return response;
}

}  // namespace netsvcd::http
