#include "io_pool.hpp"

#include <spdlog/spdlog.h>

#include "log.hpp"

namespace netsvcd {

IoPool::IoPool() : work_(asio::make_work_guard(context_)) {}

IoPool::~IoPool() {
  stop();
  join();
}

void IoPool::start(unsigned threads) {
  threads_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i)
    threads_.emplace_back([this] { run_thread(); });
}

void IoPool::stop() {
  work_.reset();
  context_.stop();
}

void IoPool::join() {
  threads_.clear();
}

void IoPool::run_thread() {
  // A handler that throws must not take the thread, and so the pool, down with it.
  while (!context_.stopped()) {
    try {
      context_.run();
    } catch (...) {
      spdlog::error("unexpected error in the thread pool: {}", describe(std::current_exception()));
    }
  }
}

}  // namespace netsvcd
