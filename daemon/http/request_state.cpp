#include "http/request_state.hpp"

#include <algorithm>

namespace netsvcd::http {
namespace {

// The RequestStates of one pool thread that no connection holds. A connection stays on its
// thread, so no lock.
class StatePool {
 public:
  static constexpr std::size_t kKept = 64;  // more than that are freed

  std::unique_ptr<RequestState> take() {
    if (free_.empty()) return std::make_unique<RequestState>();
    auto state = std::move(free_.back());
    free_.pop_back();
    return state;
  }
  void give(std::unique_ptr<RequestState> state) {
    state->clear();
    if (free_.size() < kKept) free_.push_back(std::move(state));
  }

 private:
  std::vector<std::unique_ptr<RequestState>> free_;
};

thread_local StatePool state_pool;

}  // namespace

std::array<asio::const_buffer, 4> RequestState::unsent() const {
  const bool head_only = parser && parser->method == boost::beast::http::verb::head;
  std::array<asio::const_buffer, 4> parts{
      asio::buffer(head), asio::buffer(head_only ? std::string_view() : response.prefix.view()),
      asio::buffer(head_only || !response.shared ? std::string_view() : *response.shared),
      asio::buffer(head_only ? std::string_view() : response.tail.view())};
  std::size_t skip = sent;
  for (auto& part : parts) {
    const auto n = std::min(skip, part.size());
    part += n;
    skip -= n;
  }
  return parts;
}

std::size_t RequestState::answer_size() const {
  std::size_t size = 0;
  for (const auto& part : unsent())
    size += part.size();
  return size + sent;
}

asio::mutable_buffer RequestState::free_space() {
  if (begin_ > 0) {
    std::memmove(data(), data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  return {data() + end_, capacity() - end_};
}

void RequestState::append(std::string_view bytes, std::size_t large_capacity) {
  if (bytes.size() > free_space().size()) grow(std::max(large_capacity, buffered() + bytes.size()));
  const auto room = free_space();
  std::memcpy(room.data(), bytes.data(), bytes.size());
  end_ += bytes.size();
}

void RequestState::grow(std::size_t capacity) {
  if (large_) return;
  large_ = std::make_unique<char[]>(capacity);
  large_capacity_ = capacity;
  std::memcpy(large_.get(), small_.data() + begin_, end_ - begin_);
  end_ -= begin_;
  begin_ = 0;
}

void RequestState::next_request() {
  parser.reset();
  response = Response{};
  head = {};
  keep_alive = false;
  sent = 0;
  refused = false;
}

void RequestState::clear() {
  next_request();
  more_may_wait = false;
  begin_ = end_ = 0;
  large_.reset();
  large_capacity_ = 0;
}

void HeldState::take() {
  if (!state_) state_ = state_pool.take();
}

void HeldState::release() {
  if (state_) state_pool.give(std::move(state_));
}

}  // namespace netsvcd::http
