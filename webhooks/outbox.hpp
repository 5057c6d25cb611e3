// One webhook's events waiting for delivery, ordered per client id: only the
// oldest waiting event of a client may be in flight, so a client's events
// reach the receiver in the order they were offered, and a failing event
// holds back the later events of its client only. Bounded: over max_pending
// the oldest event not in flight is dropped (README "Webhooks"). Pure: the
// caller passes the time and guards it with its own lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

namespace mqgate::webhooks {

struct OutboxItem {
    std::uint64_t id = 0;        // increasing in the order offered (the store queue's seq)
    std::string client;          // ordering key: the event's client id
    std::string body;            // the request body
    std::int64_t created_ms = 0; // when it was offered (for max_age_s)
    unsigned failed = 0;         // failed attempts so far
    std::int64_t due_ms = 0;     // not sent before this
};

class Outbox {
public:
    explicit Outbox(std::size_t max_pending) : max_pending_(max_pending) {}

    // Adds `item` behind its client's earlier events. Returns the event
    // dropped to stay within max_pending, if one was.
    std::optional<OutboxItem> push(OutboxItem item);

    // The oldest-due event that may be sent at `now_ms` (the first of its
    // client, not in flight, due), now marked in flight; nullopt if none.
    std::optional<OutboxItem> take(std::int64_t now_ms);
    // An in-flight event is done (delivered, or given up): its client's next event may go.
    void finish(std::uint64_t id);
    // An in-flight event failed: it stays first of its client, due again at `due_ms`.
    void retry(std::uint64_t id, std::int64_t due_ms);

    // When take() has something next, if no event is in flight for a client that waits.
    std::optional<std::int64_t> next_due() const;
    std::size_t size() const noexcept { return by_id_.size(); }
    std::size_t in_flight() const noexcept { return in_flight_.size(); }

private:
    void make_ready(const std::string& client);  // the client's first event, if any, may be taken
    void erase_first(const std::string& client);

    const std::size_t max_pending_;
    std::map<std::string, std::deque<OutboxItem>> clients_;
    std::map<std::uint64_t, std::string> by_id_;               // every event: id -> client
    std::set<std::pair<std::int64_t, std::uint64_t>> ready_;   // (due, id) of first events not in flight
    std::map<std::uint64_t, std::string> in_flight_;           // id -> client
};

}  // namespace mqgate::webhooks
