#include "mqtt/persistence.hpp"

#include <utility>

#include "mqtt/topic.hpp"
#include "support/log.hpp"

namespace mqgate::mqtt {

namespace op = store::op;

Persistence::Persistence(std::shared_ptr<store::Store> store) : store_(std::move(store)) {}

void Persistence::put_message(const MessagePtr& msg) {
    // Set under the broker's lock, read only there: the one id of a message however many refer to it.
    if (msg->store_id == 0) msg->store_id = store_->next_id();
    if (!put_messages_.insert(msg->store_id).second) return;
    batch_.add(op::PutMessage{msg->store_id, store::StoredMessage{msg->topic, msg->payload, msg->qos, msg->retain,
                                                                  msg->timestamp_ms, msg->origin_client_id}});
}

void Persistence::put_session(std::string_view client_id) { batch_.add(op::PutSession{std::string(client_id)}); }

void Persistence::erase_session(std::string_view client_id) { batch_.add(op::EraseSession{std::string(client_id)}); }

void Persistence::subscribe(std::string_view client_id, const std::string& filter, std::uint8_t qos) {
    batch_.add(op::Subscribe{std::string(client_id), store::SubscriptionRecord{filter, qos}});
}

void Persistence::unsubscribe(std::string_view client_id, const std::string& filter) {
    batch_.add(op::Unsubscribe{std::string(client_id), filter});
}

void Persistence::enqueue(std::string_view client_id, QueuedMessage& q) {
    if (q.qos == 0) return;
    put_message(q.message);
    q.seq = store_->next_id();
    batch_.add(op::Enqueue{std::string(client_id), store::QueuedRecord{q.seq, q.message->store_id, q.qos, q.retain}});
}

void Persistence::dequeue(std::string_view client_id, const QueuedMessage& q) {
    if (q.seq != 0) batch_.add(op::Dequeue{std::string(client_id), q.seq});
}

void Persistence::put_inflight(std::string_view client_id, InflightMessage& m, bool stored) {
    if (!stored) put_message(m.message);
    if (m.seq == 0) m.seq = store_->next_id();
    const auto stage = m.qos == 1  ? store::InflightStage::awaiting_puback
                       : m.released ? store::InflightStage::awaiting_pubcomp
                                    : store::InflightStage::awaiting_pubrec;
    batch_.add(op::PutInflight{std::string(client_id), store::InflightRecord{m.packet_id, m.seq, m.message->store_id,
                                                                             m.qos, m.retain, stage, false}});
}

void Persistence::erase_inflight(std::string_view client_id, std::uint16_t packet_id) {
    batch_.add(op::EraseInflight{std::string(client_id), packet_id});
}

void Persistence::put_inbound(std::string_view client_id, std::uint16_t packet_id, std::int64_t received_at_ms) {
    batch_.add(op::PutInbound{std::string(client_id), store::InboundRecord{packet_id, received_at_ms}});
}

void Persistence::erase_inbound(std::string_view client_id, std::uint16_t packet_id) {
    batch_.add(op::EraseInbound{std::string(client_id), packet_id});
}

void Persistence::put_retained(const MessagePtr& msg) {
    if (is_sys_topic(msg->topic)) return;
    put_message(msg);
    batch_.add(op::PutRetained{msg->topic, msg->store_id});
}

void Persistence::erase_retained(std::string_view topic) {
    if (!is_sys_topic(topic)) batch_.add(op::EraseRetained{std::string(topic)});
}

void Persistence::clear_all() {
    batch_.add(op::ClearBrokerState{});
    // Messages written before the clear are deleted with it unless put again after it.
    put_messages_.clear();
}

void Persistence::hold(std::uint64_t& mark, const std::shared_ptr<Connection>& conn, Frame frame) {
    if (!conn) return;
    mark = submitted_ + 1;
    held_.push_back(Held{conn, std::move(frame)});
}

bool Persistence::rewrite_due(std::int64_t now_ms) noexcept {
    if (!rewrite_wanted() || now_ms - last_rewrite_ms_ < 1000) return false;
    last_rewrite_ms_ = now_ms;
    // Cleared before the rewrite is submitted: a failure of the rewrite itself sets it again.
    shared_->failed.store(false, std::memory_order_release);
    return true;
}

// One submitted batch's frames, sent when it commits and dropped, their connections closed, when it
// does not (or is refused before it is queued).
struct Persistence::Commit {
    std::shared_ptr<Shared> shared;
    std::uint64_t seq = 0;
    std::vector<Held> held;
    std::vector<std::function<void(std::error_code)>> waiters;

    // On the store thread; the outcome is acted on where Shared::dispatch says, in commit order.
    static void done(const std::shared_ptr<Commit>& self, std::error_code ec) {
        auto finish = [self, ec] {
            if (ec) {
                self->fail(ec);
            } else {
                if (self->shared->failing.exchange(false)) LOG_WARN("storage: writes succeed again");
                for (Held& h : self->held) h.conn->send(std::move(h.frame));
                for (auto& w : self->waiters) w({});
            }
            // After the frames went: a frame the core sends directly once it sees this follows them.
            self->shared->committed.store(self->seq, std::memory_order_release);
        };
        if (self->shared->dispatch)
            self->shared->dispatch(std::move(finish));
        else
            finish();
    }

    void fail(std::error_code ec) {
        shared->failed.store(true, std::memory_order_release);
        // Logged once per episode: a full disk must not fill the log too.
        if (!shared->failing.exchange(true))
            LOG_WARN("storage: a write failed (" << ec.message()
                                                 << "): acknowledgements withheld and their connections closed "
                                                    "until writes succeed again");
        for (Held& h : held) h.conn->close(DisconnectReason::storage_error);
        for (auto& w : waiters) w(ec);
    }
};

void Persistence::end_op() {
    if (batch_.empty() && held_.empty()) return;
    auto commit = std::make_shared<Commit>(
        Commit{shared_, submitted_ + 1, std::exchange(held_, {}), std::exchange(waiters_, {})});
    put_messages_.clear();
    const std::error_code ec =
        store_->submit(std::exchange(batch_, store::Batch{}), [commit](std::error_code result) { Commit::done(commit, result); });
    if (!ec) {
        submitted_ = commit->seq;
        return;
    }
    // Not queued. The links it held frames for are marked with its number, which the next batch
    // takes: they wait for that one (they are closing anyway).
    commit->fail(ec);
}

}  // namespace mqgate::mqtt
