// Deadlines: the deadline of every connection that waits on one pool thread, checked by one
// timer that ticks while any is registered. Moving a connection's deadline is a store: no timer
// is set, cancelled or allocated per read or write (nginx keeps a timer per connection event;
// this keeps one per thread). Also where a stop reaches connections that wait between requests:
// they close at once, as they would on their idle deadline.
// One per io_context (an Asio service: Deadlines::of(context)); everything in it, Entry
// included, is used only by the one thread that runs that context, except stop_waiting(), which
// may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>

#include "asio.hpp"

namespace netsvcd::connection {

// The clock deadlines are kept in: CLOCK_MONOTONIC at the kernel's tick (a few milliseconds,
// finer than the ticks here), read from memory the kernel maps in, where steady_clock reads the
// CPU's timestamp counter: a connection moves its deadline a few times a request.
struct CoarseClock {
  using duration = std::chrono::nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<CoarseClock>;
  static constexpr bool is_steady = true;
  static time_point now() noexcept;
};

class Deadlines final : public asio::execution_context::service {
 public:
  using Clock = CoarseClock;
  static asio::execution_context::id id;

  // Why an entry expired.
  enum class Expiry { none, timeout, stopping };

  // One connection's deadline, registered for as long as it lives. When the deadline passes, or
  // a stop comes while the connection waits for a request, `on_expire(target)` is called on the
  // context's thread (it cancels the connection's socket, whose pending operation then ends
  // with operation_aborted), and again at every tick until a new deadline is set, so that an
  // operation started after the first cancel is ended too; expired() says so meanwhile.
  // Neither copyable nor movable: it is linked into the service's list.
  class Entry {
   public:
    Entry(asio::io_context& context, void (*on_expire)(void*), void* target);
    ~Entry();
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;

    // The connection is busy (reading a request, writing an answer): it must be done within
    // `timeout` from now. A stop does not cut it short.
    void working(std::chrono::milliseconds timeout) { set(timeout, false); }
    // The connection waits for a client's next request for up to `timeout`; a stop ends the
    // wait at once. If the stop came already, the entry expires here, before any wait has
    // begun that the cancel could end: check expired() before waiting.
    void waiting(std::chrono::milliseconds timeout);
    Expiry expired() const { return expired_; }

   private:
    friend class Deadlines;
    void set(std::chrono::milliseconds timeout, bool closes_on_stop);
    void expire(Expiry why);

    Deadlines& owner_;
    void (*on_expire_)(void*);
    void* target_;
    Clock::time_point deadline_{};
    std::chrono::milliseconds timeout_{};
    bool closes_on_stop_ = false;
    Expiry expired_ = Expiry::none;
    Entry* previous_ = nullptr;
    Entry* next_ = nullptr;
  };

  explicit Deadlines(asio::execution_context& context);
  static Deadlines& of(asio::io_context& context) { return asio::use_service<Deadlines>(context); }

  // The daemon is stopping: every connection waiting for a request closes now, and every one
  // that starts waiting later closes at once. Safe from any thread.
  void stop_waiting();
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }

 private:
  void shutdown() override;
  void link(Entry& entry);
  void unlink(Entry& entry);
  // Starts the timer if it is idle, or makes it tick sooner if `timeout` needs a finer period.
  void tick_soon(std::chrono::milliseconds timeout) {
    if (!ticking_ || period_for(timeout) < period_) restart(period_for(timeout));
  }
  static Clock::duration period_for(std::chrono::milliseconds timeout);
  void restart(Clock::duration period);
  void tick();
  void expire_waiting();

  asio::io_context& context_;
  asio::basic_waitable_timer<Clock, asio::wait_traits<Clock>, asio::io_context::executor_type>
      timer_;
  Entry* first_ = nullptr;
  bool ticking_ = false;
  Clock::duration period_{};  // how often the timer ticks while entries exist
  std::atomic<bool> stopping_{false};
};

}  // namespace netsvcd::connection
