#include "io_pool.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "connection/listener_stats.hpp"
#include "log.hpp"

namespace netsvcd {

namespace {

// A worker thread's niceness: CFS then gives a pool thread about ten times its share of a CPU
// they both want, and preempts a worker as soon as a pool thread wakes.
constexpr int kWorkerNice = 10;

}  // namespace

IoPool::IoPool() : workers_(BOOST_ASIO_CONCURRENCY_HINT_DEFAULT) {
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
  threads_.reserve(2 * contexts_.size());
  // Each pool thread counts its connections' traffic in a slot of its own; a worker shares its
  // pool thread's (they meet only for the costly requests it answers).
  for (std::size_t i = 0; i < contexts_.size(); ++i) {
    threads_.emplace_back([this, i, &context = *contexts_[i]] {
      connection::set_this_thread_slot(i);
      run(context);
    });
  }
  for (std::size_t i = 0; i < contexts_.size(); ++i) {
    threads_.emplace_back([this, i] {
      connection::set_this_thread_slot(i);
      run_worker();
    });
  }
}

void IoPool::stop() {
  for (auto& context : contexts_) {
    context->work.reset();
    context->context.stop();
  }
  workers_.work.reset();
  workers_.context.stop();
}

void IoPool::run_worker() {
  // On Linux a thread's own niceness can be raised with its thread id; no privilege needed.
  if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kWorkerNice) != 0) {
    spdlog::warn("cannot lower a worker thread's priority: {}", std::strerror(errno));
  }
  run(workers_);
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
