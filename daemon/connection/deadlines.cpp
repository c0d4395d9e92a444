#include "connection/deadlines.hpp"

#include <time.h>

#include <algorithm>

namespace netsvcd::connection {
namespace {

// A deadline is met to within a tenth of its timeout, and never checked more often than every
// 5 ms nor less often than every 100 ms: 10 s timeouts cost ten scans a second, which visit each
// waiting connection once (a compare), however many reads and writes they make meanwhile.
constexpr std::chrono::milliseconds kFinestPeriod{5};
constexpr std::chrono::milliseconds kCoarsestPeriod{100};

}  // namespace

CoarseClock::time_point CoarseClock::now() noexcept {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  return time_point(std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec));
}

Deadlines::Clock::duration Deadlines::period_for(std::chrono::milliseconds timeout) {
  return std::clamp<Clock::duration>(timeout / 10, kFinestPeriod, kCoarsestPeriod);
}

asio::execution_context::id Deadlines::id;

Deadlines::Deadlines(asio::execution_context& context)
    : asio::execution_context::service(context),
      context_(static_cast<asio::io_context&>(context)),
      timer_(context_.get_executor()) {}

void Deadlines::shutdown() {
  timer_.cancel();
}

Deadlines::Entry::Entry(asio::io_context& context, void (*on_expire)(void*), void* target)
    : owner_(Deadlines::of(context)), on_expire_(on_expire), target_(target) {
  owner_.link(*this);
}

Deadlines::Entry::~Entry() {
  owner_.unlink(*this);
}

void Deadlines::Entry::set(std::chrono::milliseconds timeout, bool closes_on_stop) {
  deadline_ = Clock::now() + timeout;
  timeout_ = timeout;
  closes_on_stop_ = closes_on_stop;
  expired_ = Expiry::none;
  owner_.tick_soon(timeout);
}

void Deadlines::Entry::waiting(std::chrono::milliseconds timeout) {
  set(timeout, true);
  if (owner_.stopping()) expire(Expiry::stopping);
}

void Deadlines::Entry::expire(Expiry why) {
  if (expired_ != Expiry::none) return;
  expired_ = why;
  on_expire_(target_);
}

void Deadlines::link(Entry& entry) {
  entry.next_ = first_;
  if (first_) first_->previous_ = &entry;
  first_ = &entry;
}

void Deadlines::unlink(Entry& entry) {
  if (entry.previous_) {
    entry.previous_->next_ = entry.next_;
  } else {
    first_ = entry.next_;
  }
  if (entry.next_) entry.next_->previous_ = entry.previous_;
}

void Deadlines::restart(Clock::duration period) {
  period_ = period;
  ticking_ = true;
  timer_.expires_after(period_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec != asio::error::operation_aborted) tick();
  });
}

void Deadlines::tick() {
  ticking_ = false;
  const auto now = Clock::now();
  auto shortest = std::chrono::milliseconds::max();
  for (Entry* entry = first_; entry;) {
    Entry* const next = entry->next_;  // expiring cancels a socket; the entry stays linked
    if (entry->expired_ != Expiry::none) {
      // Expired and not given a new deadline: cancel again. A cancel ends only the operation
      // pending at that moment; one started after it (the next write of a composed write, whose
      // previous one completed at once) would otherwise wait without a deadline.
      entry->on_expire_(entry->target_);
      shortest = std::min(shortest, entry->timeout_);
    } else if (entry->timeout_.count() > 0) {  // not yet given a deadline: nothing to check
      if (entry->deadline_ <= now) {
        entry->expire(Expiry::timeout);
      }
      shortest = std::min(shortest, entry->timeout_);
    }
    entry = next;
  }
  if (shortest != std::chrono::milliseconds::max()) tick_soon(shortest);
}

void Deadlines::stop_waiting() {
  stopping_.store(true, std::memory_order_release);
  asio::post(context_, [this] { expire_waiting(); });
}

void Deadlines::expire_waiting() {
  for (Entry* entry = first_; entry;) {
    Entry* const next = entry->next_;
    if (entry->closes_on_stop_) entry->expire(Expiry::stopping);
    entry = next;
  }
}

}  // namespace netsvcd::connection
