// IoPool: the threads that serve every listener, each running an io_context of its own, so that
// a connection lives on the thread that accepted it: no strand, lock or hand-over between
// threads on its way. Context 0 also runs the daemon's own work (signals, reloads, the control
// socket, the watchdog). Owned by the Daemon: resize() before start(), and start(), stop() and
// join() from the owning thread; context(i) is safe from any thread once sized.
#pragma once

#include <cstddef>
#include <memory>
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

  // Makes it `threads` contexts (at least one). Before start() only.
  void resize(std::size_t threads);
  std::size_t size() const { return contexts_.size(); }
  asio::io_context& context(std::size_t thread = 0) { return contexts_[thread]->context; }
  // Where work that takes milliseconds of CPU goes (a word-finder search with blanks), so that
  // a flood of it does not hold the pool threads' other connections: run by as many threads,
  // at a lower priority (nice 10), which the scheduler interrupts for a pool thread that has
  // something to do.
  asio::io_context& workers() { return workers_.context; }

  // Runs each context on a thread of its own.
  void start();
  // Makes every thread return from its context as soon as its current handler ends.
  void stop();
  void join();

 private:
  struct Context {
    // The hint says one thread runs it: Asio then skips the work of handing handlers between
    // threads. Handlers may still be posted to it from any thread.
    explicit Context(int concurrency_hint = 1) : context(concurrency_hint) {}
    asio::io_context context;
    // Keeps run() from returning while the thread is between work items.
    asio::executor_work_guard<asio::io_context::executor_type> work{context.get_executor()};
  };

  void run(Context& context);
  void run_worker();

  std::vector<std::unique_ptr<Context>> contexts_;
  Context workers_;
  std::vector<std::jthread> threads_;
};

}  // namespace netsvcd
