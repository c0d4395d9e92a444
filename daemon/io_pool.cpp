#include "io_pool.hpp"

#include <spdlog/spdlog.h>

#include "log.hpp"

namespace netsvcd {

IoPool::IoPool() {
  resize(1);
}

IoPool::~IoPool() {
  stop();
  join();
}

void IoPool::resize(std::size_t threads) {
  while (contexts_.size() < std::max<std::size_t>(threads, 1))
    contexts_.push_back(std::make_unique<Context>());
}

void IoPool::start() {
  threads_.reserve(contexts_.size());
  for (auto& context : contexts_)
    threads_.emplace_back([this, &context = *context] { run(context); });
}

void IoPool::stop() {
  for (auto& context : contexts_) {
    context->work.reset();
    context->context.stop();
  }
}

void IoPool::join() {
  threads_.clear();
}

void IoPool::run(Context& context) {
  // A handler that throws must not take the thread, and so its connections, down with it.
  while (!context.context.stopped()) {
    try {
      context.context.run();
    } catch (...) {
      spdlog::error("unexpected error in the thread pool: {}", describe(std::current_exception()));
    }
  }
}

}  // namespace netsvcd
