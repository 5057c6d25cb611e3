#include "webhooks/outbox.hpp"

#include <algorithm>

namespace mqgate::webhooks {

std::optional<OutboxItem> Outbox::push(OutboxItem item) {
    std::optional<OutboxItem> dropped;
    if (by_id_.size() >= max_pending_) {
        // The oldest event not in flight; at most in_flight() events are skipped.
        for (const auto& [id, client] : by_id_) {
            if (in_flight_.contains(id)) continue;
            auto& queue = clients_.at(client);
            auto it = std::find_if(queue.begin(), queue.end(), [id = id](const OutboxItem& i) { return i.id == id; });
            dropped = std::move(*it);
            const std::string key = client;
            if (it == queue.begin()) {
                erase_first(key);
            } else {
                queue.erase(it);
                by_id_.erase(dropped->id);
            }
            break;
        }
        // Everything in flight (max_pending below the concurrency): refuse the new one instead.
        if (!dropped) return item;
    }
    const std::string client = item.client;
    by_id_.emplace(item.id, client);
    auto& queue = clients_[client];
    queue.push_back(std::move(item));
    if (queue.size() == 1) make_ready(client);
    return dropped;
}

std::optional<OutboxItem> Outbox::take(std::int64_t now_ms) {
    if (ready_.empty() || ready_.begin()->first > now_ms) return std::nullopt;
    const std::uint64_t id = ready_.begin()->second;
    ready_.erase(ready_.begin());
    const std::string& client = by_id_.at(id);
    in_flight_.emplace(id, client);
    return clients_.at(client).front();
}

void Outbox::finish(std::uint64_t id) {
    const auto it = in_flight_.find(id);
    if (it == in_flight_.end()) return;
    const std::string client = std::move(it->second);
    in_flight_.erase(it);
    erase_first(client);
}

void Outbox::retry(std::uint64_t id, std::int64_t due_ms) {
    const auto it = in_flight_.find(id);
    if (it == in_flight_.end()) return;
    auto& first = clients_.at(it->second).front();
    ++first.failed;
    first.due_ms = due_ms;
    ready_.emplace(due_ms, id);
    in_flight_.erase(it);
}

std::optional<std::int64_t> Outbox::next_due() const {
    if (ready_.empty()) return std::nullopt;
    return ready_.begin()->first;
}

void Outbox::make_ready(const std::string& client) {
    const auto& first = clients_.at(client).front();
    ready_.emplace(first.due_ms, first.id);
}

void Outbox::erase_first(const std::string& client) {
    auto c = clients_.find(client);
    const auto& first = c->second.front();
    ready_.erase({first.due_ms, first.id});
    by_id_.erase(first.id);
    c->second.pop_front();
    if (c->second.empty()) clients_.erase(c);
    else make_ready(client);
}

}  // namespace mqgate::webhooks
