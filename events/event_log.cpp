#include "events/event_log.hpp"

#include <algorithm>

namespace mqgate::events {

EventLog::EventLog(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

std::uint64_t EventLog::record(const mqtt::Event& event) {
    std::lock_guard delivery(delivery_);
    LoggedEvent logged{0, event};
    std::vector<std::shared_ptr<const Listener>> targets;
    {
        std::lock_guard lock(mutex_);
        logged.seq = next_seq_++;
        const auto type = static_cast<std::size_t>(event.type);
        if (type < totals_.size()) ++totals_[type];
        if (ring_.size() == capacity_) ring_.pop_front();
        ring_.push_back(logged);
        targets.reserve(listeners_.size());
        for (const auto& [id, fn] : listeners_) targets.push_back(fn);
    }
    for (const auto& fn : targets) (*fn)(logged);
    return logged.seq;
}

std::vector<LoggedEvent> EventLog::since(std::uint64_t after, std::size_t limit) const {
    std::lock_guard lock(mutex_);
    std::vector<LoggedEvent> out;
    if (ring_.empty() || limit == 0) return out;
    // Sequence numbers in the ring are contiguous, so the start is an index.
    const std::uint64_t first = ring_.front().seq;
    const std::size_t start = after < first ? 0 : static_cast<std::size_t>(std::min<std::uint64_t>(after - first + 1, ring_.size()));
    const std::size_t n = std::min(limit, ring_.size() - start);
    out.assign(ring_.begin() + static_cast<std::ptrdiff_t>(start), ring_.begin() + static_cast<std::ptrdiff_t>(start + n));
    return out;
}

std::uint64_t EventLog::last_seq() const {
    std::lock_guard lock(mutex_);
    return next_seq_ - 1;
}

std::array<std::uint64_t, EventLog::event_types> EventLog::totals() const {
    std::lock_guard lock(mutex_);
    return totals_;
}

std::uint64_t EventLog::listen(Listener listener) {
    std::lock_guard lock(mutex_);
    const auto id = next_listener_++;
    listeners_.emplace_back(id, std::make_shared<const Listener>(std::move(listener)));
    return id;
}

void EventLog::unlisten(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    std::erase_if(listeners_, [id](const auto& entry) { return entry.first == id; });
}

}  // namespace mqgate::events
