// The recent-event memory: a bounded ring of broker events, each
// with a sequence number, read by REST (`since`) and pushed to live
// consumers (the WebSocket/SSE streams). Feed it from Broker::observe().
// Thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "mqtt/events.hpp"

namespace mqgate::events {

struct LoggedEvent {
    std::uint64_t seq = 0;  // 1, 2, 3… for the life of the process
    mqtt::Event event;
};

class EventLog {
public:
    static constexpr std::size_t event_types = 11;  // mqtt::EventType's enumerators

    explicit EventLog(std::size_t capacity = 1000);

    // Appends (dropping the oldest when full) and tells every listener.
    // Listeners run on the caller's thread, outside the log's state lock but
    // one record at a time, so they see events in sequence order. A listener
    // must not call record().
    std::uint64_t record(const mqtt::Event& event);

    // Events with seq > `after`, oldest first, at most `limit`. Events that
    // fell out of the ring are gone: the first returned seq shows the gap.
    std::vector<LoggedEvent> since(std::uint64_t after, std::size_t limit) const;

    std::uint64_t last_seq() const;
    std::size_t capacity() const noexcept { return capacity_; }
    // Events recorded since start, by type (index: mqtt::EventType).
    std::array<std::uint64_t, event_types> totals() const;

    using Listener = std::function<void(const LoggedEvent&)>;
    std::uint64_t listen(Listener listener);
    // After unlisten() returns the listener is not called for later records;
    // a record() already running on another thread may still call it once,
    // so listeners should hold their target by weak_ptr.
    void unlisten(std::uint64_t id);

private:
    const std::size_t capacity_;
    mutable std::mutex mutex_;
    std::mutex delivery_;  // serialises listener calls so they arrive in seq order
    std::deque<LoggedEvent> ring_;
    std::uint64_t next_seq_ = 1;
    std::array<std::uint64_t, event_types> totals_{};
    std::uint64_t next_listener_ = 1;
    std::vector<std::pair<std::uint64_t, std::shared_ptr<const Listener>>> listeners_;
};

}  // namespace mqgate::events
