// Durable storage seen from the core: the state loaded at start-up, the
// rewrite after a failed commit, and the batch each operation ends with.
#include <algorithm>
#include <unordered_map>

#include "mqtt/broker_core.hpp"
#include "support/log.hpp"

namespace mqgate::mqtt {

void BrokerCore::restore(store::LoadedState state) {
    // One Message per stored message, shared by every entry that names it, as when it was routed.
    std::unordered_map<store::MessageId, MessagePtr> messages;
    messages.reserve(state.messages.size());
    for (auto& [id, stored] : state.messages) {
        auto msg = std::make_shared<Message>();
        msg->topic = std::move(stored.topic);
        msg->payload = std::move(stored.payload);
        msg->qos = stored.qos;
        msg->retain = stored.retain;
        msg->timestamp_ms = stored.timestamp_ms;
        msg->origin_client_id = std::move(stored.origin_client_id);
        msg->store_id = id;
        messages.emplace(id, std::move(msg));
    }
    // The store checked at load that every reference names a stored message (store/load_check.hpp).
    for (const auto& r : state.retained) retained_->put(messages.at(r.message));
    for (auto& record : state.sessions) {
        SessionState& s = sessions_->create(record.client_id);
        s.clean_session = false;
        for (const auto& sub : record.subscriptions) {
            s.subscriptions.set(sub.filter, sub.qos);
            subscriptions_.insert(sub.filter, &s, sub.qos);
        }
        for (const auto& q : record.queue) {
            const MessagePtr& msg = messages.at(q.message);
            s.queue.push_back(QueuedMessage{msg, q.qos, q.retain, q.seq});
            s.queued_bytes += msg->payload.size();
        }
        for (const auto& f : record.inflight) {
            s.inflight.push_back(InflightMessage{f.packet_id, messages.at(f.message), f.qos, f.retain,
                                                 f.stage == store::InflightStage::awaiting_pubcomp, f.seq});
            s.last_packet_id = f.packet_id;  // new ids go on after the last one sent
        }
        if (!record.inbound.empty()) s.awaiting_rel = std::make_unique<SessionState::AwaitingRel>();
        for (const auto& in : record.inbound) s.awaiting_rel->emplace(in.packet_id, in.received_at_ms);
    }
    LOG_INFO("storage: loaded " << state.retained.size() << " retained message(s) and " << state.sessions.size()
                                << " persistent session(s)");
}

void BrokerCore::rewrite_all() {
    LOG_WARN("storage: rewriting the whole state after a failed write");
    persist_->clear_all();
    retained_->for_each([&](const MessagePtr& msg) { persist_->put_retained(msg); });
    sessions_->for_each([&](SessionState& s) {
        if (s.clean_session) return;
        persist_->put_session(s.client_id);
        for (const auto& [filter, qos] : s.subscriptions) persist_->subscribe(s.client_id, filter, qos);
        for (QueuedMessage& q : s.queue) persist_->enqueue(s.client_id, q);  // fresh seqs, in queue order
        for (InflightMessage& m : s.inflight) persist_->put_inflight(s.client_id, m, false);
        if (s.awaiting_rel) {
            for (const auto& [id, at] : *s.awaiting_rel) persist_->put_inbound(s.client_id, id, at);
        }
    });
}

void BrokerCore::end_op() {
    if (persist_->rewrite_wanted() && persist_->rewrite_due(now_ms())) rewrite_all();
    persist_->end_op();
}

}  // namespace mqgate::mqtt
