#include "control/control_client.hpp"

#include "asio.hpp"

namespace netsvcd::control {
namespace {

using namespace asio::experimental::awaitable_operators;

asio::awaitable<ReloadReply> ask(const std::filesystem::path& path) {
  asio::local::stream_protocol::socket socket(co_await asio::this_coro::executor);
  const auto [connect_error] = co_await socket.async_connect(
      asio::local::stream_protocol::endpoint(path.string()), use_nothrow);
  if (connect_error) {
    co_return ReloadReply{ReloadReply::Status::kUnreachable,
                          path.string() + ": " + connect_error.message() +
                              " (is netsvcd running with --control-socket " + path.string() +
                              "?)\n"};
  }
  co_await asio::async_write(socket, asio::buffer(std::string_view("reload\n")), use_nothrow);
  std::string reply;
  co_await asio::async_read(socket, asio::dynamic_buffer(reply), use_nothrow);  // to EOF
  const auto first = reply.find('\n');
  const std::string verdict = reply.substr(0, first);
  std::string detail = first == std::string::npos ? std::string() : reply.substr(first + 1);
  if (verdict == "ok") co_return ReloadReply{ReloadReply::Status::kReloaded, std::move(detail)};
  if (verdict == "failed") co_return ReloadReply{ReloadReply::Status::kRefused, std::move(detail)};
  co_return ReloadReply{ReloadReply::Status::kUnreachable,
                        path.string() + ": the daemon closed the connection without an answer\n"};
}

asio::awaitable<ReloadReply> give_up_after(std::chrono::seconds timeout,
                                           const std::filesystem::path& path) {
  asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
  co_await timer.async_wait(use_nothrow);
  co_return ReloadReply{
      ReloadReply::Status::kUnreachable,
      path.string() + ": no answer within " + std::to_string(timeout.count()) + " s\n"};
}

}  // namespace

ReloadReply request_reload(const std::filesystem::path& socket, std::chrono::seconds timeout) {
  asio::io_context context;
  ReloadReply reply{ReloadReply::Status::kUnreachable, {}};
  asio::co_spawn(
      context, ask(socket) || give_up_after(timeout, socket),
      [&reply](const std::exception_ptr& error, std::variant<ReloadReply, ReloadReply> result) {
        if (!error) reply = std::visit([](auto& r) { return std::move(r); }, result);
      });
  context.run();
  return reply;
}

}  // namespace netsvcd::control
