#include "http/message.hpp"

#include <nlohmann/json.hpp>

namespace netsvcd::http {

Response error_response(unsigned status, std::string_view message) {
  // A message may quote what the client sent, which need not be UTF-8: replace what is not
  // rather than fail.
  return {status,
          "application/json",
          nlohmann::json{{"error", message}}.dump(-1, ' ', false,
                                                  nlohmann::json::error_handler_t::replace) +
              '\n',
          {}};
}

}  // namespace netsvcd::http
