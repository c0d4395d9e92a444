#include "connection/admission.hpp"

#include <algorithm>

namespace netsvcd::connection {

void Admission::Ticket::release() {
  if (!load_) return;
  if (counted_) load_->leave();
  if (source_) load_->leave_source(*source_);
  load_.reset();
}

bool Admission::allowed(const boost::asio::ip::address& address) const {
  const auto contains = [&](const config::Cidr& cidr) { return cidr.contains(address); };
  if (!limits_.allow.empty() && std::ranges::none_of(limits_.allow, contains)) return false;
  return std::ranges::none_of(limits_.deny, contains);
}

std::variant<Admission::Ticket, Refusal> Admission::admit(const Peer& peer) const {
  if (!limits_.any()) return Ticket{};
  if (!allowed(peer.address)) return Refusal::access;
  bool counted = false;
  if (limits_.max_connections) {
    if (!load_->enter(*limits_.max_connections)) return Refusal::max_connections;
    counted = true;
  }
  std::optional<SourceKey> source;
  if (limits_.max_per_source) {
    const auto key = SourceKey::of(peer.address);
    if (!load_->enter_source(key, *limits_.max_per_source)) {
      if (counted) load_->leave();
      return Refusal::max_per_source;
    }
    source = key;
  }
  // Last, so that a connection refused for another reason takes no token.
  if (limits_.rate_limit && !load_->take_token(*limits_.rate_limit)) {
    if (counted) load_->leave();
    if (source) load_->leave_source(*source);
    return Refusal::rate_limit;
  }
  if (!counted && !source) return Ticket{};
  return Ticket{load_, counted, source};
}

std::string Admission::explain(Refusal reason, const Peer& peer) const {
  switch (reason) {
    case Refusal::access: {
      const bool in_allow =
          limits_.allow.empty() || std::ranges::any_of(limits_.allow, [&](const auto& cidr) {
            return cidr.contains(peer.address);
          });
      return in_allow ? "its address is in deny" : "its address is not in allow";
    }
    case Refusal::rate_limit:
      return "over rate_limit " + config::to_string(*limits_.rate_limit);
    case Refusal::max_connections:
      return "max_connections " + std::to_string(*limits_.max_connections) + " open already";
    case Refusal::max_per_source: {
      const auto plain = config::unmapped(peer.address);
      return "max_per_source " + std::to_string(*limits_.max_per_source) + " open already from " +
             (plain.is_v4() ? plain.to_string() : "its /64");
    }
  }
  return {};
}

}  // namespace netsvcd::connection
