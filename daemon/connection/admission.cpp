#include "connection/admission.hpp"

#include <algorithm>

namespace netsvcd::connection {

void Admission::Ticket::release() {
  if (!load_) return;
  if (counted_) load_->leave();
  if (source_) load_->leave_source(*source_);
  load_.reset();
}

namespace {

bool in_any(const std::vector<config::Cidr>& networks, const boost::asio::ip::address& address) {
  return std::ranges::any_of(networks,
                             [&](const config::Cidr& cidr) { return cidr.contains(address); });
}

}  // namespace

bool Admission::in_allow(const boost::asio::ip::address& address) const {
  return limits_.allow.empty() || in_any(limits_.allow, address);
}

std::variant<Admission::Ticket, Refusal> Admission::admit(const Peer& peer) const {
  if (!limited_) return Ticket{};
  if (!in_allow(peer.address) || in_any(limits_.deny, peer.address)) return Refusal::access;
  // Each place is held by the ticket as soon as it is taken, so that a refusal further down
  // gives back, with the ticket, what was taken before it.
  Ticket ticket(load_);
  if (limits_.max_connections) {
    if (!load_->enter(*limits_.max_connections)) return Refusal::max_connections;
    ticket.counted_ = true;
  }
  if (limits_.max_per_source) {
    const auto key = SourceKey::of(peer.address);
    if (!load_->enter_source(key, *limits_.max_per_source)) return Refusal::max_per_source;
    ticket.source_ = key;
  }
  // Last, so that a connection refused for another reason takes no token.
  if (limits_.rate_limit && !load_->take_token(*limits_.rate_limit)) return Refusal::rate_limit;
  // Only access lists or a rate: nothing to give back, so no share in the load to hold.
  if (!ticket.counted_ && !ticket.source_) return Ticket{};
  return ticket;
}

std::string Admission::explain(Refusal reason, const Peer& peer) const {
  switch (reason) {
    case Refusal::access:
      return in_allow(peer.address) ? "its address is in deny" : "its address is not in allow";
    case Refusal::rate_limit:
      return "over rate_limit " + config::to_string(*limits_.rate_limit);
    case Refusal::max_connections:
      return "max_connections " + std::to_string(*limits_.max_connections) + " open already";
    case Refusal::max_per_source: {
      const auto plain = config::unmapped(peer.address);
      return "max_per_source " + std::to_string(*limits_.max_per_source) + " open already from " +
             (plain.is_v4() ? plain.to_string() : "its /64");
    }
    // The PROXY step's reasons, which the pipeline may follow with details.
    case Refusal::proxy_untrusted:
      return "its address is not in proxy_from, so it may not send a PROXY header";
    case Refusal::proxy_malformed:
      return "malformed PROXY header";
    case Refusal::proxy_timeout:
      return "no whole PROXY header in time";
  }
  return {};
}

}  // namespace netsvcd::connection
