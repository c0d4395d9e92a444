// RequestState: what one HTTP request needs while it is read and answered: its head's bytes
// (a 1 KiB buffer, grown once to room for the largest head allowed), its parsed head, the
// response and the response's head, and how much of the answer is sent. A connection holds one
// only while it works: between requests it goes back to its thread's pool (StatePool), as
// nginx frees a kept-alive connection's buffers. Used by one thread; the pool is per thread.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "asio.hpp"
#include "http/message.hpp"
#include "http/request_head.hpp"
#include "http/response_head.hpp"

namespace netsvcd::http {

class RequestState {
 public:
  static constexpr std::size_t kSmall = 1024;

  std::optional<RequestHead> parser;
  Response response;
  HeadBuffer head_buffer;
  std::string_view head;    // the response's head, in head_buffer
  bool keep_alive = false;  // the connection stays open after this response
  std::size_t sent = 0;     // bytes of head and body written so far
  // The last read filled the room it had: the kernel may hold more of the client's bytes. A
  // fact of the connection, not of one request: it stays across next_request().
  bool more_may_wait = false;
  // The head could not be parsed (parser is empty): answered with the reason, then closed.
  bool refused = false;
  // When the request's head was complete: its answer's duration counts from here.
  std::chrono::steady_clock::time_point started;

  // Whether closing after the answer needs a lingering close: the client may have bytes on
  // their way that a plain close would answer with a reset (a body we refused without reading
  // it; more than we read; or requests it pipelined, expecting the connection to stay open,
  // which a stop or a 500 closes). nginx lingers on the same grounds.
  bool closing_needs_linger() const {
    return refused || more_may_wait || buffered() > 0 ||
           (parser && (!parser->is_done() || parser->keep_alive()));
  }

  // What is left to write of the response: its head, then its body, less what was sent (the
  // body too when the request was a HEAD).
  std::array<asio::const_buffer, 4> unsent() const;
  std::size_t answer_size() const;

  std::string_view unparsed() const { return {data() + begin_, end_ - begin_}; }
  std::size_t buffered() const { return end_ - begin_; }
  void consume(std::size_t bytes) { begin_ += bytes; }
  // Room for the next read; the bytes of the next request are moved to the front first.
  asio::mutable_buffer free_space();
  // `bytes` read into free_space(), which had `room`.
  void filled(std::size_t bytes, std::size_t room) {
    end_ += bytes;
    more_may_wait = bytes == room;
  }
  // Bytes read before the state was taken (a parked connection's), growing the buffer to
  // `large_capacity` if they do not fit.
  void append(std::string_view bytes, std::size_t large_capacity);
  bool full() const { return begin_ == 0 && end_ == capacity(); }
  // Moves what is buffered to a buffer of `capacity` bytes, once.
  void grow(std::size_t capacity);
  // The next request on the same connection: the response and its state go, the bytes stay.
  void next_request();
  // Ready for another connection on this thread.
  void clear();

 private:
  const char* data() const { return large_ ? large_.get() : small_.data(); }
  char* data() { return large_ ? large_.get() : small_.data(); }
  std::size_t capacity() const { return large_ ? large_capacity_ : small_.size(); }

  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::unique_ptr<char[]> large_;
  std::size_t large_capacity_ = 0;
  std::array<char, kSmall> small_;
};

// A RequestState held from this thread's pool, given back when released or destroyed. The
// pool keeps a few dozen, so that requests take and give back without an allocation.
class HeldState {
 public:
  HeldState() = default;
  HeldState(HeldState&&) noexcept = default;
  HeldState& operator=(HeldState&&) = delete;
  HeldState(const HeldState&) = delete;
  ~HeldState() { release(); }

  void take();
  void release();
  explicit operator bool() const { return state_ != nullptr; }
  RequestState* operator->() { return state_.get(); }
  RequestState& operator*() { return *state_; }

 private:
  std::unique_ptr<RequestState> state_;
};

}  // namespace netsvcd::http
