#include "io_pool.hpp"

#include <spdlog/spdlog.h>

namespace netsvcd {

IoPool::IoPool(unsigned threads)
    : thread_count_(threads),
      context_(static_cast<int>(threads)),
      work_(asio::make_work_guard(context_)) {}

IoPool::~IoPool() {
  stop();
  join();
}

void IoPool::start() {
  threads_.reserve(thread_count_);
  for (unsigned i = 0; i < thread_count_; ++i)
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
    } catch (const std::exception& e) {
      spdlog::error("unexpected error in the thread pool: {}", e.what());
    }
  }
}

}  // namespace netsvcd
