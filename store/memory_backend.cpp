// The memory backend: `backend: memory`, and the reference the SQLite
// backend is tested against. Same rules, nothing survives the process.
// With MemoryKeeps::references it is the SQLite backend's index of what
// exists (sessions, messages and what refers to them), by which it checks a
// batch's rules before writing it to its journal.
#include <algorithm>
#include <map>
#include <set>

#include "store/backend.hpp"
#include "store/errors.hpp"

namespace mqgate::store {

namespace {

struct MemoryMessage {
    StoredMessage message;
    std::size_t refs = 0;
};

struct MemorySession {
    std::map<std::string, std::uint8_t> subscriptions;
    std::map<std::uint64_t, QueuedRecord> queue;
    std::map<std::uint16_t, InflightRecord> inflight;
    std::map<std::uint16_t, InboundRecord> inbound;
};

template <typename Map, typename Key>
auto* find_in(Map& map, const Key& key) {
    const auto it = map.find(key);
    return it == map.end() ? nullptr : &it->second;
}

class MemoryBackend final : public Backend {
public:
    explicit MemoryBackend(MemoryKeeps keeps) : keeps_(keeps) {}

    std::error_code commit(std::span<Pending> batches, std::uint64_t next_id) override {
        for (Pending& p : batches) {
            if (!applicable(p.batch)) {
                p.result = errc::invalid_batch;
                continue;
            }
            for (const Operation& o : p.batch.operations()) std::visit([this](const auto& x) { apply(x); }, o);
        }
        // A message nothing refers to goes at the end of the commit, as in the SQLite backend.
        for (const MessageId id : unreferenced_) {
            const auto it = messages_.find(id);
            if (it != messages_.end() && it->second.refs == 0) messages_.erase(it);
        }
        unreferenced_.clear();
        next_id_ = std::max(next_id_, next_id);
        return {};
    }

    LoadedState load() override {
        LoadedState state;
        for (const auto& [id, m] : messages_) state.messages.emplace(id, m.message);
        for (const auto& [topic, id] : retained_) state.retained.push_back({topic, id});
        for (const auto& [client_id, s] : sessions_) {
            SessionRecord& r = state.sessions.emplace_back();
            r.client_id = client_id;
            for (const auto& [filter, qos] : s.subscriptions) r.subscriptions.push_back({filter, qos});
            for (const auto& [seq, q] : s.queue) r.queue.push_back(q);
            for (const auto& [id, f] : s.inflight) r.inflight.push_back(f);
            std::ranges::sort(r.inflight, {}, &InflightRecord::seq);
            for (const auto& [id, in] : s.inbound) r.inbound.push_back(in);
        }
        for (const auto& [name, items] : queues_) {
            auto& out = state.queues[name];
            for (const auto& [seq, data] : items) out.push_back({seq, data});
        }
        state.next_id = next_id_;
        return state;
    }

    std::vector<QueueItem> read_queue(const std::string& queue, std::uint64_t after, std::size_t limit) override {
        std::vector<QueueItem> items;
        const auto* q = find_in(queues_, queue);
        if (!q) return items;
        for (auto it = q->upper_bound(after); it != q->end() && items.size() < limit; ++it)
            items.push_back({it->first, it->second});
        return items;
    }

    std::uint64_t stored_next_id() const override { return next_id_; }
    std::uint64_t file_bytes() const override { return 0; }

private:
    // The batch's values are in range and what it adds to refers to sessions and messages that exist
    // when it does (sessions it creates or erases itself included). Messages stay until the end of
    // the commit, so one stored at the start of the commit still exists.
    bool applicable(const Batch& batch) const {
        if (!values_valid(batch)) return false;
        std::map<std::string_view, bool> sessions;  // created (true) or erased (false) by this batch
        std::set<MessageId> messages;               // stored by this batch
        bool cleared = false;                       // by an op::ClearBrokerState of this batch
        const auto session_exists = [&](const std::string& id) {
            const auto it = sessions.find(id);
            return it != sessions.end() ? it->second : !cleared && sessions_.contains(id);
        };
        const auto message_exists = [&](MessageId id) { return messages.contains(id) || messages_.contains(id); };
        for (const Operation& o : batch.operations()) {
            bool ok = true;
            if (const auto* x = std::get_if<op::PutMessage>(&o)) messages.insert(x->id);
            else if (const auto* x = std::get_if<op::PutSession>(&o)) sessions[x->client_id] = true;
            else if (const auto* x = std::get_if<op::EraseSession>(&o)) sessions[x->client_id] = false;
            else if (std::holds_alternative<op::ClearBrokerState>(o)) {
                sessions.clear();
                cleared = true;
            } else if (const auto* x = std::get_if<op::PutRetained>(&o)) ok = message_exists(x->message);
            else if (const auto* x = std::get_if<op::Subscribe>(&o)) ok = session_exists(x->client_id);
            else if (const auto* x = std::get_if<op::Enqueue>(&o))
                ok = session_exists(x->client_id) && message_exists(x->entry.message);
            else if (const auto* x = std::get_if<op::PutInflight>(&o))
                ok = session_exists(x->client_id) && message_exists(x->entry.message);
            else if (const auto* x = std::get_if<op::PutInbound>(&o)) ok = session_exists(x->client_id);
            if (!ok) return false;
        }
        return true;
    }

    void ref(MessageId id) { ++messages_.at(id).refs; }
    void unref(MessageId id) {
        if (--messages_.at(id).refs == 0) unreferenced_.push_back(id);
    }
    void unref_session(const MemorySession& s) {
        for (const auto& [seq, q] : s.queue) unref(q.message);
        for (const auto& [id, f] : s.inflight) unref(f.message);
    }

    void apply(const op::PutMessage& o) {
        const StoredMessage& kept = keeps_ == MemoryKeeps::everything ? o.message : StoredMessage{};
        if (messages_.try_emplace(o.id, MemoryMessage{kept, 0}).second) unreferenced_.push_back(o.id);
    }
    void apply(const op::PutRetained& o) {
        ref(o.message);
        const auto [it, added] = retained_.try_emplace(o.topic, o.message);
        if (!added) {
            unref(it->second);
            it->second = o.message;
        }
    }
    void apply(const op::EraseRetained& o) {
        if (const auto it = retained_.find(o.topic); it != retained_.end()) {
            unref(it->second);
            retained_.erase(it);
        }
    }
    void apply(const op::PutSession& o) {
        apply(op::EraseSession{o.client_id});
        sessions_.emplace(o.client_id, MemorySession{});
    }
    void apply(const op::EraseSession& o) {
        if (const auto it = sessions_.find(o.client_id); it != sessions_.end()) {
            unref_session(it->second);
            sessions_.erase(it);
        }
    }
    void apply(const op::Subscribe& o) {
        sessions_.at(o.client_id).subscriptions.insert_or_assign(o.subscription.filter, o.subscription.qos);
    }
    void apply(const op::Unsubscribe& o) {
        if (auto* s = find_in(sessions_, o.client_id)) s->subscriptions.erase(o.filter);
    }
    void apply(const op::Enqueue& o) {
        ref(o.entry.message);
        auto& queue = sessions_.at(o.client_id).queue;
        if (const auto* old = find_in(queue, o.entry.seq)) unref(old->message);
        queue.insert_or_assign(o.entry.seq, o.entry);
    }
    void apply(const op::Dequeue& o) {
        if (auto* s = find_in(sessions_, o.client_id)) {
            if (const auto* q = find_in(s->queue, o.seq)) {
                unref(q->message);
                s->queue.erase(o.seq);
            }
        }
    }
    void apply(const op::PutInflight& o) {
        ref(o.entry.message);
        auto& inflight = sessions_.at(o.client_id).inflight;
        if (const auto* old = find_in(inflight, o.entry.packet_id)) unref(old->message);
        inflight.insert_or_assign(o.entry.packet_id, o.entry);
    }
    void apply(const op::EraseInflight& o) {
        if (auto* s = find_in(sessions_, o.client_id)) {
            if (const auto* f = find_in(s->inflight, o.packet_id)) {
                unref(f->message);
                s->inflight.erase(o.packet_id);
            }
        }
    }
    void apply(const op::PutInbound& o) { sessions_.at(o.client_id).inbound.insert_or_assign(o.entry.packet_id, o.entry); }
    void apply(const op::EraseInbound& o) {
        if (auto* s = find_in(sessions_, o.client_id)) s->inbound.erase(o.packet_id);
    }
    void apply(const op::Append& o) {
        if (keeps_ == MemoryKeeps::everything) queues_[o.queue].insert_or_assign(o.item.seq, o.item.data);
    }
    void apply(const op::Remove& o) {
        const auto it = queues_.find(o.queue);
        if (it == queues_.end()) return;
        it->second.erase(o.seq);
        if (it->second.empty()) queues_.erase(it);
    }

    void apply(const op::ClearBrokerState&) {
        for (const auto& [id, s] : sessions_) unref_session(s);
        sessions_.clear();
        for (const auto& [topic, message] : retained_) unref(message);
        retained_.clear();
    }

    MemoryKeeps keeps_;
    std::map<MessageId, MemoryMessage> messages_;
    std::vector<MessageId> unreferenced_;  // refs dropped to 0 (or never rose) in this commit
    std::map<std::string, MessageId> retained_;
    std::map<std::string, MemorySession> sessions_;
    std::map<std::string, std::map<std::uint64_t, std::string>> queues_;
    std::uint64_t next_id_ = 1;
};

}  // namespace

std::unique_ptr<Backend> make_memory_backend(MemoryKeeps keeps) { return std::make_unique<MemoryBackend>(keeps); }

}  // namespace mqgate::store
