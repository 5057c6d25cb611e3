#include "store/compact.hpp"

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace mqgate::store {

namespace {

struct Location {
    std::size_t batch = 0;
    std::size_t op = 0;
};

// The latest not yet superseded put of each key, per session.
struct SessionPuts {
    std::unordered_map<std::uint16_t, Location> inflight;  // by packet id
    std::unordered_map<std::uint64_t, Location> queue;     // by seq
    std::unordered_map<std::uint16_t, Location> inbound;   // by packet id
};

class Compactor {
public:
    explicit Compactor(std::span<Pending> group) : group_(group), dropped_(group.size()) {
        for (std::size_t b = 0; b < group.size(); ++b) dropped_[b].assign(group[b].batch.size(), false);
    }

    std::size_t run() {
        for (std::size_t b = 0; b < group_.size(); ++b) {
            valid_.push_back(values_valid(group_[b].batch));
            if (!valid_.back()) continue;
            const auto& ops = group_[b].batch.operations();
            for (std::size_t i = 0; i < ops.size(); ++i) std::visit([&](const auto& o) { see(o, {b, i}); }, ops[i]);
        }
        drop_unreferenced_messages();
        std::size_t count = 0;
        for (std::size_t b = 0; b < group_.size(); ++b) count += group_[b].batch.drop(dropped_[b]);
        return count;
    }

private:
    void drop(const Location& at) { dropped_[at.batch][at.op] = true; }

    // `at` puts `key`: a put before it is superseded.
    template <typename Key>
    void put(std::unordered_map<Key, Location>& puts, const Key& key, Location at) {
        const auto [it, added] = puts.try_emplace(key, at);
        if (!added) {
            drop(it->second);
            it->second = at;
        }
    }
    // An erase of `key`: the put before it is superseded; the erase itself stays.
    template <typename Key>
    void erase(std::unordered_map<Key, Location>& puts, const Key& key) {
        if (const auto it = puts.find(key); it != puts.end()) {
            drop(it->second);
            puts.erase(it);
        }
    }
    // The session is deleted (or replaced by an empty one): what was put into it before goes with it.
    void end_session(const std::string& client_id) {
        const auto it = sessions_.find(client_id);
        if (it == sessions_.end()) return;
        for (const auto* puts : {&it->second.inflight, &it->second.inbound})
            for (const auto& [key, at] : *puts) drop(at);
        for (const auto& [key, at] : it->second.queue) drop(at);
        sessions_.erase(it);
    }

    void see(const op::PutInflight& o, Location at) { put(sessions_[o.client_id].inflight, o.entry.packet_id, at); }
    void see(const op::EraseInflight& o, Location) { erase(sessions_[o.client_id].inflight, o.packet_id); }
    void see(const op::Enqueue& o, Location at) { put(sessions_[o.client_id].queue, o.entry.seq, at); }
    void see(const op::Dequeue& o, Location) { erase(sessions_[o.client_id].queue, o.seq); }
    void see(const op::PutInbound& o, Location at) { put(sessions_[o.client_id].inbound, o.entry.packet_id, at); }
    void see(const op::EraseInbound& o, Location) { erase(sessions_[o.client_id].inbound, o.packet_id); }
    void see(const op::PutSession& o, Location) { end_session(o.client_id); }
    void see(const op::EraseSession& o, Location) { end_session(o.client_id); }
    void see(const op::PutRetained& o, Location at) { put(retained_, o.topic, at); }
    void see(const op::EraseRetained& o, Location) { erase(retained_, o.topic); }
    void see(const op::Append& o, Location at) { put(queues_[o.queue], o.item.seq, at); }
    void see(const op::Remove& o, Location) { erase(queues_[o.queue], o.seq); }
    void see(const op::ClearBrokerState&, Location) {
        // Everything before it is deleted or rewritten after it; matching stops here (named queues stay).
        sessions_.clear();
        retained_.clear();
    }
    template <typename Other>
    void see(const Other&, Location) {}  // PutMessage, Subscribe, Unsubscribe: nothing to match

    void drop_unreferenced_messages() {
        std::unordered_set<MessageId> referenced;
        for_each_kept([&](const Operation& o) {
            if (const auto* r = std::get_if<op::PutRetained>(&o)) referenced.insert(r->message);
            if (const auto* q = std::get_if<op::Enqueue>(&o)) referenced.insert(q->entry.message);
            if (const auto* f = std::get_if<op::PutInflight>(&o)) referenced.insert(f->entry.message);
        });
        for (std::size_t b = 0; b < group_.size(); ++b) {
            if (!valid_[b]) continue;
            const auto& ops = group_[b].batch.operations();
            for (std::size_t i = 0; i < ops.size(); ++i) {
                const auto* m = std::get_if<op::PutMessage>(&ops[i]);
                if (m && !referenced.contains(m->id)) dropped_[b][i] = true;
            }
        }
    }

    template <typename F>
    void for_each_kept(F&& f) const {
        for (std::size_t b = 0; b < group_.size(); ++b) {
            if (!valid_[b]) continue;
            const auto& ops = group_[b].batch.operations();
            for (std::size_t i = 0; i < ops.size(); ++i)
                if (!dropped_[b][i]) f(ops[i]);
        }
    }

    std::span<Pending> group_;
    std::vector<std::vector<bool>> dropped_;  // per batch, per operation
    std::vector<bool> valid_;
    std::unordered_map<std::string, SessionPuts> sessions_;
    std::unordered_map<std::string, Location> retained_;
    std::unordered_map<std::string, std::unordered_map<std::uint64_t, Location>> queues_;
};

}  // namespace

std::size_t compact(std::span<Pending> group) { return Compactor(group).run(); }

}  // namespace mqgate::store
