// Admission: the pipeline's step between accept and service, which decides whether a connection
// is served at all, by its listener's limits (config/limits.hpp): the access lists first, then
// the connections open in all and from the client's source, then the rate of new ones. Each
// check costs a comparison, an atomic or a short lock only when its limit is set; a listener
// without limits admits for free. What an admitted connection counts is given back by its
// Ticket when it closes. One per Listener, immutable; admit() is safe from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "config/limits.hpp"
#include "connection/listener_load.hpp"
#include "connection/peer.hpp"

namespace netsvcd::connection {

class Admission {
 public:
  // What an admitted connection holds for its whole life; gives its place back when it goes.
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept
        : load_(std::move(other.load_)), counted_(other.counted_), source_(other.source_) {}
    Ticket& operator=(Ticket&& other) noexcept {
      if (this != &other) {
        release();
        load_ = std::move(other.load_);
        counted_ = other.counted_;
        source_ = other.source_;
      }
      return *this;
    }
    ~Ticket() { release(); }

   private:
    friend class Admission;
    explicit Ticket(std::shared_ptr<ListenerLoad> load) : load_(std::move(load)) {}
    void release();
    std::shared_ptr<ListenerLoad> load_;  // empty for a listener without limits
    bool counted_ = false;
    std::optional<SourceKey> source_;
  };

  Admission(config::Limits limits, std::shared_ptr<ListenerLoad> load)
      : limits_(std::move(limits)), limited_(limits_.any()), load_(std::move(load)) {}

  // A ticket for a connection from `peer`, or why it is refused.
  std::variant<Ticket, Refusal> admit(const Peer& peer) const;

  // Counts a refusal by admit(), and says whether to log it now.
  bool refused(Refusal reason) const { return load_->refused(reason); }

  // Why `reason` refused a connection from `peer`, in words, for a log line.
  std::string explain(Refusal reason, const Peer& peer) const;

  const config::Limits& limits() const { return limits_; }
  const std::shared_ptr<ListenerLoad>& load() const { return load_; }

 private:
  // Whether `address` passes `allow` (which an empty list does not restrict).
  bool in_allow(const boost::asio::ip::address& address) const;

  const config::Limits limits_;
  const bool limited_;  // any limit set: asked of every connection, so worked out once
  const std::shared_ptr<ListenerLoad> load_;
};

}  // namespace netsvcd::connection
