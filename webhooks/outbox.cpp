#include "webhooks/outbox.hpp"

#include <algorithm>

namespace mqgate::webhooks {

namespace {

// Ids increase along a client's events in flight, and along its waiting ones; a waiting event may
// be older than one in flight (push()).
std::size_t index_of(const std::deque<OutboxItem>& items, std::size_t busy, std::uint64_t id) {
    const auto by_id = [](const OutboxItem& item, std::uint64_t v) { return item.id < v; };
    const auto split = items.begin() + static_cast<std::ptrdiff_t>(busy);
    auto it = std::lower_bound(items.begin(), split, id, by_id);
    if (it == split || it->id != id) it = std::lower_bound(split, items.end(), id, by_id);
    return static_cast<std::size_t>(it - items.begin());
}

}  // namespace

std::optional<OutboxItem> Outbox::push(OutboxItem item) {
    std::optional<OutboxItem> dropped;
    if (by_id_.size() >= max_pending_) {
        // The oldest event not in flight; at most in_flight() events are skipped.
        for (const auto& [id, name] : by_id_) {
            const auto& client = clients_.at(name);
            const std::size_t index = index_of(client.items, client.busy, id);
            if (index < client.busy) continue;
            const std::string key = name;
            dropped = erase(key, index);
            break;
        }
        // Everything in flight (max_pending below what is in flight): refuse the new one instead.
        if (!dropped) return item;
    }
    const std::string name = item.client;
    by_id_.emplace(item.id, name);
    auto& client = clients_[name];
    auto& items = client.items;
    // Waiting events stay in id order. Usually the new one is the last; an event staged under the
    // broker's lock (WebhookService) may be pushed after a later one of its client.
    const auto at = std::upper_bound(items.begin() + static_cast<std::ptrdiff_t>(client.busy), items.end(), item.id,
                                     [](std::uint64_t v, const OutboxItem& other) { return v < other.id; });
    const bool first = client.busy == 0 && at == items.begin();
    if (first && !items.empty()) ready_.erase({items.front().due_ms, items.front().id});
    items.insert(at, std::move(item));
    if (first) make_ready(name);
    return dropped;
}

std::vector<OutboxItem> Outbox::take(std::int64_t now_ms, std::size_t max) {
    std::vector<OutboxItem> out;
    while (out.size() < max && !ready_.empty() && ready_.begin()->first <= now_ms) {
        const std::uint64_t id = ready_.begin()->second;
        ready_.erase(ready_.begin());
        auto& client = clients_.at(by_id_.at(id));
        for (; client.busy < client.items.size() && out.size() < max; ++client.busy, ++in_flight_)
            out.push_back(client.items[client.busy]);
    }
    return out;
}

std::size_t Outbox::available(std::int64_t now_ms, std::size_t max) const {
    std::size_t n = 0;
    for (auto it = ready_.begin(); n < max && it != ready_.end() && it->first <= now_ms; ++it)
        n += clients_.at(by_id_.at(it->second)).items.size();
    return std::min(n, max);
}

void Outbox::finish(std::uint64_t id) {
    const auto found = by_id_.find(id);
    if (found == by_id_.end()) return;
    const std::string name = found->second;
    auto& client = clients_.at(name);
    const std::size_t index = index_of(client.items, client.busy, id);
    if (index >= client.busy) return;  // not in flight
    --client.busy;
    --in_flight_;
    erase(name, index);
}

std::vector<OutboxItem> Outbox::drain() {
    std::vector<OutboxItem> out;
    out.reserve(by_id_.size());
    for (auto& [name, client] : clients_)
        for (auto& item : client.items) out.push_back(std::move(item));
    std::sort(out.begin(), out.end(), [](const OutboxItem& a, const OutboxItem& b) { return a.id < b.id; });
    clients_.clear();
    by_id_.clear();
    ready_.clear();
    in_flight_ = 0;
    return out;
}

std::optional<std::int64_t> Outbox::next_due() const {
    if (ready_.empty()) return std::nullopt;
    return ready_.begin()->first;
}

void Outbox::make_ready(const std::string& name) {
    const auto& first = clients_.at(name).items.front();
    ready_.emplace(first.due_ms, first.id);
}

OutboxItem Outbox::erase(const std::string& name, std::size_t index) {
    auto c = clients_.find(name);
    auto& items = c->second.items;
    // An idle client's first event is in ready_ (after finish(), it was in flight and is not: a no-op).
    if (c->second.busy == 0 && index == 0) ready_.erase({items.front().due_ms, items.front().id});
    OutboxItem item = std::move(items[index]);
    items.erase(items.begin() + static_cast<std::ptrdiff_t>(index));
    by_id_.erase(item.id);
    if (items.empty()) clients_.erase(c);
    else if (c->second.busy == 0 && index == 0) make_ready(name);  // a new first event, and nothing in flight
    return item;
}

}  // namespace mqgate::webhooks
