// IoPool: the one io_context that serves every listener, and the threads that run it. Owned by
// the Daemon. context() is safe from any thread; start(), stop() and join() are called by the
// thread that owns the pool.
#pragma once

#include <thread>
#include <vector>

#include "asio.hpp"

namespace netsvcd {

class IoPool {
 public:
  IoPool();
  ~IoPool();
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  asio::io_context& context() { return context_; }

  // Runs the context on `threads` threads.
  void start(unsigned threads);
  // Makes every thread return from the context as soon as its current handler ends.
  void stop();
  void join();

 private:
  void run_thread();

  asio::io_context context_;
  // Keeps run() from returning while the daemon is between work items.
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<std::jthread> threads_;
};

}  // namespace netsvcd
