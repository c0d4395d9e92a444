#include "http/message.hpp"

#include <nlohmann/json.hpp>

namespace netsvcd::http {

Response error_response(unsigned status, std::string_view message) {
  return {status, "application/json", nlohmann::json{{"error", message}}.dump() + '\n', {}};
}

}  // namespace netsvcd::http
