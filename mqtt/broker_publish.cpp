// The PUBLISH path and the QoS 1/2 flows in both directions (§3.3–§3.7, §4.3).
#include <algorithm>

#include "mqtt/broker_core.hpp"
#include "mqtt/codec.hpp"
#include "mqtt/topic.hpp"
#include "support/log.hpp"

namespace mqgate::mqtt {

void BrokerCore::on_publish(Link& link, Publish&& p) {
    SessionState& s = *link.session_;
    if (topic_levels(p.topic) > options_.limits.max_topic_levels) {
        return protocol_error(link, Errc::too_many_topic_levels);
    }
    if (p.qos == 2 && !s.awaiting_rel) s.awaiting_rel = std::make_unique<SessionState::AwaitingRel>();
    if (p.qos == 2 && s.awaiting_rel->count(p.packet_id)) {
        // [MQTT-4.3.3-2]: a resent QoS 2 PUBLISH before PUBREL is acknowledged
        // again but not delivered again.
        return send(link, Pubrec{p.packet_id});
    }
    if (p.qos == 2 && s.awaiting_rel->size() >= options_.limits.max_awaiting_rel) {
        LOG_WARN("client '" << link.client_id() << "' exceeded " << options_.limits.max_awaiting_rel
                            << " QoS 2 messages awaiting PUBREL; closing");
        return close_link(link, DisconnectReason::protocol_error);
    }

    ++s.messages_in;
    ++stats_.messages_received;
    if (p.qos == 2) {
        // Recorded before routing: with durable storage, the write makes the
        // QoS 2 deliveries of this operation wait for the commit. A subscriber
        // must not get a message whose acceptance a crash could undo, or the
        // publisher's resend would reach it a second time.
        const std::int64_t now = now_ms();
        s.awaiting_rel->emplace(p.packet_id, now);
        if (persistent(s)) persist_->put_inbound(s.client_id, p.packet_id, now);
    }
    // POLICY [MQTT-3.3.5-2]: an unauthorized PUBLISH is acknowledged as usual
    // and dropped, so a 3.1.1 client is not disconnected in a loop. $SYS is
    // the broker's alone, whatever the ACL says (as in Mosquitto).
    if (!is_sys_topic(p.topic) && auth_->authorize(link.username(), link.client_id(), p.topic, Access::write)) {
        route(make_message(std::move(p.topic), std::move(p.payload), p.qos, p.retain, std::string(link.client_id())));
    } else {
        ++stats_.publish_denied;
        LOG_DEBUG("publish by '" << link.client_id() << "' to '" << p.topic << "' denied ($SYS or ACL)");
    }

    // With durable storage, the ack waits for the commit of what the message
    // changed (retained, persistent sessions' queues, the inbound QoS 2 id).
    if (p.qos == 1) {
        send(link, Puback{p.packet_id});
    } else if (p.qos == 2) {
        send(link, Pubrec{p.packet_id});
    }
}

std::size_t BrokerCore::route(const MessagePtr& msg) {
    if (msg->retain) {
        // [MQTT-3.3.1-10/-11]: an empty retained payload deletes; it is still
        // forwarded to current subscribers as a normal message.
        if (msg->payload.empty()) {
            if (retained_->erase(msg->topic) && persist_) persist_->erase_retained(msg->topic);
        } else {
            retained_->put(msg);
            if (persist_) persist_->put_retained(msg);
        }
    }

    // Overlapping subscriptions of one session: delivered once, at the highest
    // granted QoS (README "Overlapping subscriptions").
    match_scratch_.clear();
    subscriptions_.match(msg->topic, [this](SessionState* s, std::uint8_t qos) { match_scratch_.emplace_back(s, qos); });
    std::sort(match_scratch_.begin(), match_scratch_.end());
    std::size_t matched = 0;
    for (std::size_t i = 0; i < match_scratch_.size();) {
        SessionState* s = match_scratch_[i].first;
        std::uint8_t granted = match_scratch_[i].second;
        for (++i; i < match_scratch_.size() && match_scratch_[i].first == s; ++i)
            granted = std::max(granted, match_scratch_[i].second);
        ++matched;
        deliver(*s, msg, std::min(msg->qos, granted), false);
    }

    internal_tree_.match(msg->topic, [&](std::uint64_t id, std::uint8_t) {
        auto it = internal_.find(id);
        if (it == internal_.end()) return;
        if (it->second.stage) {
            // Its writes join this operation's batch: the acknowledgement sent after route() waits for
            // them. It matched only if it took the message (returned a job).
            if (auto then = it->second.stage(msg, persist_ ? &persist_->batch() : nullptr)) {
                ++matched;
                deferred_.push_back(std::move(then));
            }
            return;
        }
        ++matched;
        deferred_.emplace_back([cb = it->second.callback, msg] { (*cb)(msg); });
    });
    return matched;
}

void BrokerCore::deliver(SessionState& s, const MessagePtr& msg, std::uint8_t qos, bool retain) {
    Link* link = s.link;
    if (qos == 0) {
        if (link) {
            // A QoS 0 message to a consumer whose buffer is full is dropped:
            // memory stays bounded and QoS 0 promises nothing more.
            if (link->conn_ && link->conn_->buffered_bytes() > options_.limits.max_outbound_buffer) {
                return drop(s, "outbound buffer over mqtt.max_outbound_buffer (slow consumer): QoS 0 dropped");
            }
            return send_publish(*link, s, msg, 0, retain);
        }
        if (!options_.limits.queue_qos0_offline) return;
    } else if (link && s.queue.empty() && s.inflight.size() < options_.limits.max_inflight) {
        return send_publish(*link, s, msg, qos, retain);
    }
    // Queue, bounded in count and bytes. POLICY: when full, the new message is
    // dropped and counted ($SYS/broker/publish/messages/dropped).
    const BrokerLimits& lim = options_.limits;
    if (s.queue.size() >= lim.max_queued_messages || s.queued_bytes + msg->payload.size() > lim.max_queued_bytes) {
        return drop(s, "queue over mqtt.max_queued_messages / max_queued_bytes: new messages dropped");
    }
    s.queue.push_back(QueuedMessage{msg, qos, retain});
    if (persistent(s)) persist_->enqueue(s.client_id, s.queue.back());
    s.queued_bytes += msg->payload.size();
}

void BrokerCore::drop(SessionState& s, const char* why) {
    ++stats_.messages_dropped;
    // Logged on the session's first drop only: a flood must not flood the log.
    if (s.dropped++ == 0) LOG_WARN("client '" << s.client_id << "': " << why << " (counted, logged once per session)");
}

void BrokerCore::send_publish(Link& link, SessionState& s, const MessagePtr& msg, std::uint8_t qos, bool retain,
                              bool stored) {
    std::uint16_t id = 0;
    if (qos > 0) {
        // Next free identifier; at most max_inflight are in use, so this ends quickly.
        do {
            id = ++s.last_packet_id;
            if (id == 0) id = s.last_packet_id = 1;
        } while (std::any_of(s.inflight.begin(), s.inflight.end(),
                             [id](const InflightMessage& m) { return m.packet_id == id; }));
        s.inflight.push_back(InflightMessage{id, msg, qos, retain, false});
        if (persistent(s)) persist_->put_inflight(s.client_id, s.inflight.back(), stored);
    }
    Frame f;
    encode_publish_header(false, qos, retain, msg->topic, id, msg->payload.size(), f.head);
    f.payload_of = msg;
    ++s.messages_out;
    ++stats_.messages_sent;
    transmit(link, std::move(f), qos == 2);
}

void BrokerCore::pump_queue(Link& link, SessionState& s) {
    const BrokerLimits& lim = options_.limits;
    while (!s.queue.empty()) {
        QueuedMessage& q = s.queue.front();
        if (q.qos > 0 && s.inflight.size() >= lim.max_inflight) break;
        QueuedMessage next = std::move(q);
        s.queue.pop_front();
        s.queued_bytes -= next.message->payload.size();
        // The in-flight entry is written before the queue's goes: the stored message always has a reference.
        send_publish(link, s, next.message, next.qos, next.retain, next.seq != 0);
        if (persistent(s)) persist_->dequeue(s.client_id, next);
    }
}

void BrokerCore::resend_inflight(Link& link, SessionState& s) {
    for (const InflightMessage& m : s.inflight) {
        if (m.released) {
            send(link, Pubrel{m.packet_id});
            continue;
        }
        Frame f;
        encode_publish_header(true, m.qos, m.retain, m.message->topic, m.packet_id, m.message->payload.size(), f.head);
        f.payload_of = m.message;
        transmit(link, std::move(f), m.qos == 2);
    }
}

namespace {
auto find_inflight(SessionState& s, std::uint16_t id) {
    return std::find_if(s.inflight.begin(), s.inflight.end(),
                        [id](const InflightMessage& m) { return m.packet_id == id; });
}
}  // namespace

// An ack of the wrong type for the message in flight under its id (PUBACK
// for QoS 2, PUBREC or PUBCOMP for QoS 1, PUBCOMP before PUBREC) closes the
// connection [MQTT-4.8.0-1]: left alone, the message would stay in flight,
// holding a slot of the window, until the client reconnects. An ack for an id
// not in flight is ignored (a late duplicate).

void BrokerCore::on_puback(Link& link, std::uint16_t id) {
    SessionState& s = *link.session_;
    const auto it = find_inflight(s, id);
    if (it == s.inflight.end()) return;  // unknown id: nothing to release
    if (it->qos != 1) return protocol_error(link, Errc::unexpected_ack);
    acknowledged(s, it->message);
    if (persistent(s)) persist_->erase_inflight(s.client_id, id);
    s.inflight.erase(it);
    pump_queue(link, s);
}

void BrokerCore::on_pubrec(Link& link, std::uint16_t id) {
    SessionState& s = *link.session_;
    const auto it = find_inflight(s, id);
    if (it != s.inflight.end() && it->qos != 2) return protocol_error(link, Errc::unexpected_ack);
    if (it != s.inflight.end() && !it->released) {
        it->released = true;
        if (persistent(s)) {
            // The stored entry still names its message (kept until PUBCOMP), so memory keeps it too.
            persist_->put_inflight(s.client_id, *it, true);
        } else if (!it->message->tracked()) {
            // The payload is delivered; only the id is needed from now on (a
            // tracked message is kept for its report at PUBCOMP).
            it->message.reset();
        }
    }
    send(link, Pubrel{id});
}

void BrokerCore::on_pubrel(Link& link, std::uint16_t id) {
    SessionState& s = *link.session_;
    if (s.awaiting_rel && s.awaiting_rel->erase(id) && persistent(s)) persist_->erase_inbound(s.client_id, id);
    send(link, Pubcomp{id});  // answered even for an unknown id, so the client can finish
}

void BrokerCore::on_pubcomp(Link& link, std::uint16_t id) {
    SessionState& s = *link.session_;
    const auto it = find_inflight(s, id);
    if (it == s.inflight.end()) return;
    if (!it->released) return protocol_error(link, Errc::unexpected_ack);  // QoS 1, or QoS 2 before PUBREC
    if (it->message) acknowledged(s, it->message);
    if (persistent(s)) persist_->erase_inflight(s.client_id, id);
    s.inflight.erase(it);
    pump_queue(link, s);
}

void BrokerCore::report_ack(const SessionState& s, const MessagePtr& msg) {
    if (!ack_listener_) return;
    deferred_.emplace_back([listener = ack_listener_, client_id = std::string(s.client_id), msg] {
        (*listener)(client_id, msg);
    });
}

void BrokerCore::expire_awaiting_rel() {
    const std::int64_t cutoff = now_ms() - std::chrono::milliseconds(options_.limits.await_rel_timeout).count();
    sessions_->for_each([&](SessionState& s) {
        if (!s.awaiting_rel) return;
        std::erase_if(*s.awaiting_rel, [&](const auto& entry) {
            if (entry.second >= cutoff) return false;
            if (persistent(s)) persist_->erase_inbound(s.client_id, entry.first);
            return true;
        });
    });
}

}  // namespace mqgate::mqtt
