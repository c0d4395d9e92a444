// Unit tests for daemon/connection/deadlines.*: one ticking timer per io_context expires the
// entries whose deadline has passed (and cancels again at every tick until a new deadline is
// set), a moved deadline is the one that counts, and a stop ends the entries that wait for a
// request, now or as soon as they start waiting. A real io_context; no assertion depends on how
// fast the machine is (bounds are hours or "never").
#include <chrono>

#include <catch2/catch.hpp>

#include "connection/deadlines.hpp"

namespace {

using netsvcd::connection::Deadlines;
using namespace std::chrono_literals;

struct Recorder {
  int calls = 0;
  static void on_expire(void* self) { ++static_cast<Recorder*>(self)->calls; }
};

// Runs `context` until `done` holds, for at most 10 s (a bound for the test, not a measure).
template <typename Done>
void run_until(netsvcd::asio::io_context& context, Done done) {
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (!done() && std::chrono::steady_clock::now() < give_up) {
    context.restart();
    context.run_for(10ms);
  }
}

}  // namespace

TEST_CASE("deadlines: an entry past its deadline expires, cancelling until it is set again",
          "[deadlines]") {
  netsvcd::asio::io_context context;
  Recorder recorder;
  Deadlines::Entry entry(context, &Recorder::on_expire, &recorder);
  entry.working(20ms);
  CHECK(entry.expired() == Deadlines::Expiry::none);
  run_until(context, [&] { return recorder.calls > 0; });
  CHECK(entry.expired() == Deadlines::Expiry::timeout);
  // The callback comes again at every tick, so that an operation started after the first
  // cancel is cancelled too.
  run_until(context, [&] { return recorder.calls > 1; });
  CHECK(recorder.calls > 1);
  // A new deadline is a new wait: no more calls.
  entry.working(1h);
  CHECK(entry.expired() == Deadlines::Expiry::none);
  const int calls = recorder.calls;
  context.restart();
  context.run_for(300ms);
  CHECK(recorder.calls == calls);
}

TEST_CASE("deadlines: the deadline last set is the one that counts", "[deadlines]") {
  netsvcd::asio::io_context context;
  Recorder moved;
  Recorder kept;
  Deadlines::Entry later(context, &Recorder::on_expire, &moved);
  Deadlines::Entry soon(context, &Recorder::on_expire, &kept);
  later.working(20ms);
  later.working(1h);  // moved forward before it passed
  soon.working(20ms);
  run_until(context, [&] { return kept.calls > 0; });
  CHECK(kept.calls > 0);
  CHECK(moved.calls == 0);
  CHECK(later.expired() == Deadlines::Expiry::none);
}

TEST_CASE("deadlines: a stop ends waiting entries at once, working ones not", "[deadlines]") {
  netsvcd::asio::io_context context;
  Recorder idle;
  Recorder busy;
  Deadlines::Entry waiting(context, &Recorder::on_expire, &idle);
  Deadlines::Entry working(context, &Recorder::on_expire, &busy);
  waiting.waiting(1h);
  working.working(1h);
  Deadlines::of(context).stop_waiting();
  run_until(context, [&] { return idle.calls > 0; });
  CHECK(waiting.expired() == Deadlines::Expiry::stopping);
  CHECK(idle.calls > 0);
  CHECK(working.expired() == Deadlines::Expiry::none);
  CHECK(busy.calls == 0);
  // An entry that starts waiting after the stop expires there and then.
  working.waiting(1h);
  CHECK(working.expired() == Deadlines::Expiry::stopping);
  CHECK(busy.calls == 1);
}
