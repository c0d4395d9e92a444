// HttpTestServer: a scripted server on a loopback address for netsvc's tests, run by its own
// Asio thread. In HTTP mode it reads each request's head and answers the raw bytes its route
// maps the target to (404 otherwise), then closes; in greeting mode it writes fixed bytes at
// once and closes, as hello and time do. The destructor stops the thread. requests() may be
// called from the test thread while the server runs (a mutex guards the list).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "asio.hpp"

namespace netsvcd::test {

class HttpTestServer {
 public:
  // Request target ("/a/b?c") ► the whole response as sent: status line, headers and body.
  using Routes = std::map<std::string, std::string>;

  // On `address` ("127.0.0.1", "::1") at a port the kernel picks: HTTP mode, or greeting mode
  // when `greeting` is set (then `routes` is not used).
  HttpTestServer(const std::string& address, Routes routes,
                 std::optional<std::string> greeting = std::nullopt);
  ~HttpTestServer();
  HttpTestServer(const HttpTestServer&) = delete;
  HttpTestServer& operator=(const HttpTestServer&) = delete;

  std::uint16_t port() const { return port_; }
  // The request heads received so far, in order.
  std::vector<std::string> requests() const;

 private:
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(tcp::socket socket);

  asio::io_context context_;
  tcp::acceptor acceptor_;
  Routes routes_;
  std::optional<std::string> greeting_;
  std::uint16_t port_ = 0;
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;  // guarded by mutex_
  std::thread thread_;
};

// "HTTP/1.1 200 OK" with Content-Length and `body`.
std::string http_response(std::string_view body, int status = 200, std::string_view reason = "OK",
                          std::string_view headers = {});

}  // namespace netsvcd::test
