#include "control/control_client.hpp"

#include "asio.hpp"

namespace netsvcd::control {
namespace {

using namespace asio::experimental::awaitable_operators;

asio::awaitable<Reply> ask(const std::filesystem::path& path, std::string request) {
  asio::local::stream_protocol::socket socket(co_await asio::this_coro::executor);
  const auto [connect_error] = co_await socket.async_connect(
      asio::local::stream_protocol::endpoint(path.string()), use_nothrow);
  if (connect_error) {
    co_return Reply{Reply::Status::kUnreachable, path.string() + ": " + connect_error.message() +
                                                     " (is netsvcd running with --control-socket " +
                                                     path.string() + "?)\n"};
  }
  request += '\n';
  co_await asio::async_write(socket, asio::buffer(request), use_nothrow);
  std::string reply;
  co_await asio::async_read(socket, asio::dynamic_buffer(reply), use_nothrow);  // to EOF
  const auto first = reply.find('\n');
  const std::string verdict = reply.substr(0, first);
  std::string detail = first == std::string::npos ? std::string() : reply.substr(first + 1);
  if (verdict == "ok") co_return Reply{Reply::Status::kOk, std::move(detail)};
  if (verdict == "failed") co_return Reply{Reply::Status::kRefused, std::move(detail)};
  co_return Reply{Reply::Status::kUnreachable,
                  path.string() + ": the daemon closed the connection without an answer\n"};
}

asio::awaitable<Reply> give_up_after(std::chrono::seconds timeout,
                                     const std::filesystem::path& path) {
  asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
  co_await timer.async_wait(use_nothrow);
  co_return Reply{Reply::Status::kUnreachable,
                  path.string() + ": no answer within " + std::to_string(timeout.count()) + " s\n"};
}

}  // namespace

Reply ask_daemon(const std::filesystem::path& socket, std::string_view request,
                 std::chrono::seconds timeout) {
  asio::io_context context;
  Reply reply{Reply::Status::kUnreachable, {}};
  asio::co_spawn(context, ask(socket, std::string(request)) || give_up_after(timeout, socket),
                 [&reply](const std::exception_ptr& error, std::variant<Reply, Reply> result) {
                   if (!error) reply = std::visit([](auto& r) { return std::move(r); }, result);
                 });
  context.run();
  return reply;
}

}  // namespace netsvcd::control
