#include "support/http_test_server.hpp"

#include <fmt/format.h>

#include <optional>

namespace netsvcd::test {

HttpTestServer::HttpTestServer(const std::string& address, Routes routes,
                               std::optional<std::string> greeting)
    : acceptor_(context_, {asio::ip::make_address(address), 0}),
      routes_(std::move(routes)),
      greeting_(std::move(greeting)) {
  port_ = acceptor_.local_endpoint().port();
  asio::co_spawn(context_, accept_loop(), asio::detached);
  thread_ = std::thread([this] { context_.run(); });
}

HttpTestServer::~HttpTestServer() {
  context_.stop();
  thread_.join();
}

std::vector<std::string> HttpTestServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

asio::awaitable<void> HttpTestServer::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(use_nothrow);
    if (ec) co_return;
    asio::co_spawn(context_, serve(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> HttpTestServer::serve(tcp::socket socket) {
  std::string response;
  if (greeting_) {
    response = *greeting_;
  } else {
    std::string head;
    auto [ec, size] = co_await asio::async_read_until(socket, asio::dynamic_buffer(head),
                                                      "\r\n\r\n", use_nothrow);
    if (ec) co_return;
    head.resize(size);
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(head);
    }
    // "GET /target HTTP/1.1"
    const auto first = head.find(' ');
    const auto second = head.find(' ', first + 1);
    const auto target = head.substr(first + 1, second - first - 1);
    const auto route = routes_.find(target);
    response =
        route != routes_.end() ? route->second : http_response("not found\n", 404, "Not Found");
  }
  co_await asio::async_write(socket, asio::buffer(response), use_nothrow);
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  // Wait for the client to close, so that our close cannot reset what it has not read yet.
  char byte;
  co_await socket.async_read_some(asio::buffer(&byte, 1), use_nothrow);
}

std::string http_response(std::string_view body, int status, std::string_view reason,
                          std::string_view headers) {
  return fmt::format("HTTP/1.1 {} {}\r\nContent-Length: {}\r\n{}\r\n{}", status, reason,
                     body.size(), headers, body);
}

}  // namespace netsvcd::test
