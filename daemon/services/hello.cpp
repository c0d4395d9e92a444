// The hello kind: on accept, write the listener's message and "\n", then close.
#include <memory>
#include <string>

#include "config/endpoint.hpp"
#include "config/listener_kind.hpp"
#include "config/mapping_reader.hpp"
#include "services/service.hpp"

namespace netsvcd::services {
namespace {

// Room for any banner or motd, and for test payloads larger than the kernel's socket buffers
// (tcp_wmem's maximum is 4 MiB), which is how the write deadline is shown to work.
constexpr std::size_t kMaxMessage = 16 * 1024 * 1024;

class HelloService final : public MessageService {
 public:
  explicit HelloService(std::string message) : line_(std::move(message) + '\n') {}

  Message message() const override { return {line_, true}; }

 private:
  const std::string line_;
};

std::shared_ptr<const Service> configure(config::MappingReader& options,
                                         const config::ListenerTraits& listener) {
  auto message = options.string("message").value_or("Hello World");
  if (message.size() > kMaxMessage) {
    options.error("message", "longer than " + std::to_string(kMaxMessage) + " bytes");
    return nullptr;
  }
  // The answer to a datagram is one datagram: the line must fit in the largest one IPv4 carries.
  if (listener.datagrams && message.size() + 1 > config::kMaxDatagramPayload) {
    options.error("message", "with its newline, " + std::to_string(message.size() + 1) +
                                 " bytes: over the largest UDP datagram (" +
                                 std::to_string(config::kMaxDatagramPayload) +
                                 " bytes), and the listener has a udp:// address");
    return nullptr;
  }
  return std::make_shared<HelloService>(std::move(message));
}

constexpr std::string_view kKeys[] = {"message"};

}  // namespace

extern const config::ListenerKind kHelloKind{"hello", kKeys, true, &configure};

}  // namespace netsvcd::services
