#include "services/service.hpp"

#include "connection/send_and_close.hpp"

namespace netsvcd::services {
void MessageService::serve(connection::StreamConnection connection) const {
  const Message message = this->message();
  auto unfinished = connection::send_and_close_now(std::move(connection), message.bytes);
  if (!unfinished) return;

  // A large message or a talkative client: the rest goes on in a coroutine, which keeps the
  // listener's details, and what it sends, alive.
  auto& rest_of = unfinished->connection;
  rest_of.pin();
  std::string_view rest = message.bytes.substr(unfinished->sent);
  std::shared_ptr<const void> owner;
  if (message.lasting) {
    owner = shared_from_this();
  } else {
    auto copy = std::make_shared<const std::string>(rest);
    rest = *copy;
    owner = std::move(copy);
  }
  asio::io_context& context = *rest_of.context;
  connection::spawn(context,
                    connection::finish_send_and_close(std::move(rest_of), rest, std::move(owner)));
}

}  // namespace netsvcd::services
