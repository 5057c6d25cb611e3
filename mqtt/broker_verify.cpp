// A CONNECT waiting for its credentials to be checked. The authorizer may
// answer at once or later from another thread (a password hash runs on a
// verifier pool, so no I/O thread waits for one); meanwhile the link sits in
// verifying_ and what the client sends after CONNECT (allowed before CONNACK,
// §3.1.4) is held, bounded, and replayed in order after the CONNACK.
#include "mqtt/broker_core.hpp"
#include "support/log.hpp"

namespace mqgate::mqtt {
namespace {

// What a client may send between CONNECT and CONNACK before it is closed:
// a few packets, at most one maximum-size packet's worth of bytes.
constexpr std::size_t max_held_packets = 32;

std::size_t held_size(const Packet& p) {
    if (const auto* pub = std::get_if<Publish>(&p)) return pub->topic.size() + pub->payload.size();
    std::size_t size = 0;
    if (const auto* sub = std::get_if<Subscribe>(&p)) {
        for (const auto& s : sub->subscriptions) size += s.filter.size();
    } else if (const auto* unsub = std::get_if<Unsubscribe>(&p)) {
        for (const auto& f : unsub->filters) size += f.size();
    }
    return size;
}

}  // namespace

void BrokerCore::verify(Link& link, Connect&& c) {
    std::uint64_t ticket = 0;
    PeerInfo peer;
    {
        Op op(*this);
        if (link.state_ != Link::State::awaiting_connect || !link.conn_) return;
        link.state_ = Link::State::verifying;
        ticket = next_ticket_++;
        verifying_.emplace(ticket, Verifying{&link, {}, 0});
        peer = link.conn_->peer();
    }
    // The CONNECT travels with the answer; `connect` outlives the call
    // however early the answer comes.
    auto connect = std::make_shared<Connect>(std::move(c));
    auth_->authenticate(*connect, peer, [anchor = anchor_, ticket, connect](ConnectReturn auth, std::string identity) {
        std::lock_guard alive(anchor->mutex);
        if (anchor->core) anchor->core->verified(ticket, std::move(*connect), auth, std::move(identity));
    });
}

void BrokerCore::verified(std::uint64_t ticket, Connect&& c, ConnectReturn auth, std::string identity) {
    Op op(*this);
    const auto it = verifying_.find(ticket);
    if (it == verifying_.end()) return;  // the link closed meanwhile: it may be gone
    Verifying waiting = std::move(it->second);
    verifying_.erase(it);
    Link& link = *waiting.link;
    if (link.state_ != Link::State::verifying) return;  // closing: nothing more is processed [MQTT-3.1.4-5]
    link.state_ = Link::State::awaiting_connect;
    on_connect(link, std::move(c), auth, std::move(identity));
    for (auto& p : waiting.later) {
        if (link.state_ != Link::State::connected) break;
        on_packet(link, std::move(p));
    }
}

void BrokerCore::hold(Link& link, Packet&& p) {
    for (auto& [ticket, waiting] : verifying_) {
        if (waiting.link != &link) continue;
        waiting.later_bytes += held_size(p);
        if (waiting.later.size() >= max_held_packets || waiting.later_bytes > options_.limits.max_packet_size) {
            ++stats_.protocol_errors;
            LOG_WARN("closing " << (link.conn_ ? link.conn_->peer().address : "")
                                << ": too much sent before its CONNECT was answered");
            return close_link(link, DisconnectReason::protocol_error);
        }
        waiting.later.push_back(std::move(p));
        return;
    }
}

}  // namespace mqgate::mqtt
