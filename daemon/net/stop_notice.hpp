// StopNotice: tells connections waiting between requests that the daemon is stopping, so that
// they close at once instead of holding the stop until their idle deadline. One per daemon
// (the ConnectionTracker's), outliving every connection; safe from any thread: a mutex guards
// the subscribers and the flag.
#pragma once

#include <functional>
#include <list>
#include <mutex>

namespace netsvcd::net {

class StopNotice {
 public:
  using Callback = std::function<void()>;

  // Ends a subscription when it goes; movable, not copyable.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(StopNotice* notice, std::list<Callback>::iterator it) : notice_(notice), it_(it) {}
    Subscription(Subscription&& other) noexcept
        : notice_(std::exchange(other.notice_, nullptr)), it_(other.it_) {}
    Subscription& operator=(Subscription&&) = delete;
    Subscription(const Subscription&) = delete;
    ~Subscription() {
      if (notice_) notice_->unsubscribe(it_);
    }

   private:
    StopNotice* notice_ = nullptr;
    std::list<Callback>::iterator it_;
  };

  // Calls `callback` once, from the thread that calls notify(), unless the subscription has
  // ended by then. Returns an empty subscription, calling nothing, if notify() already ran:
  // check notified() before waiting.
  Subscription subscribe(Callback callback) {
    const std::lock_guard lock(mutex_);
    if (notified_) return {};
    subscribers_.push_front(std::move(callback));
    return {this, subscribers_.begin()};
  }

  void notify() {
    const std::lock_guard lock(mutex_);
    notified_ = true;
    for (const auto& callback : subscribers_)
      callback();
    subscribers_.clear();
  }

  bool notified() const {
    const std::lock_guard lock(mutex_);
    return notified_;
  }

 private:
  void unsubscribe(std::list<Callback>::iterator it) {
    const std::lock_guard lock(mutex_);
    if (!notified_) subscribers_.erase(it);
  }

  mutable std::mutex mutex_;
  bool notified_ = false;            // guarded by mutex_
  std::list<Callback> subscribers_;  // guarded by mutex_
};

}  // namespace netsvcd::net
