// One webhook's events waiting for delivery, ordered per client id: a client's
// events go out only while none of its earlier events is in flight, so they
// reach the receiver in the order they were offered, and a failing delivery
// holds back the later events of its clients only. Bounded: over max_pending
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
#include <vector>

namespace mqgate::webhooks {

struct OutboxItem {
    std::uint64_t id = 0;        // increasing in the order offered (the store queue's seq)
    std::string client;          // ordering key: the event's client id
    std::string body;            // the event's JSON
    std::int64_t created_ms = 0; // when it was offered (for max_age_s)
    std::int64_t due_ms = 0;     // not sent before this
};

class Outbox {
public:
    explicit Outbox(std::size_t max_pending) : max_pending_(max_pending) {}

    // Adds `item` behind its client's waiting events of lower id (usually all of them: ids
    // increase in the order offered). Returns the event
    // dropped to stay within max_pending, if one was.
    std::optional<OutboxItem> push(OutboxItem item);

    // Up to `max` events to send in one request at `now_ms`, marked in flight:
    // the clients whose first waiting event is due and who have nothing in
    // flight, oldest due first, each with its waiting events in order while
    // room remains. Empty if none.
    std::vector<OutboxItem> take(std::int64_t now_ms, std::size_t max);
    // How many events take(now_ms, max) would hand out.
    std::size_t available(std::int64_t now_ms, std::size_t max) const;
    // An in-flight event is done (delivered, or given up). Once all of a
    // client's in-flight events are, its next event may go.
    void finish(std::uint64_t id);

    // Every event, in flight or not, in id order; the outbox is empty after.
    std::vector<OutboxItem> drain();

    // When take() has something next.
    std::optional<std::int64_t> next_due() const;
    std::size_t size() const noexcept { return by_id_.size(); }
    std::size_t in_flight() const noexcept { return in_flight_; }

private:
    struct Client {
        std::deque<OutboxItem> items;  // in the order offered
        std::size_t busy = 0;          // the first `busy` items are in flight
    };
    void make_ready(const std::string& client);  // its first event, if any, may be taken
    // Removes item `index` of `client`'s queue (not in flight, or in flight and counted by the caller).
    OutboxItem erase(const std::string& client, std::size_t index);

    const std::size_t max_pending_;
    std::map<std::string, Client> clients_;
    std::map<std::uint64_t, std::string> by_id_;               // every event: id -> client
    std::set<std::pair<std::int64_t, std::uint64_t>> ready_;   // (due, id) of first events of idle clients
    std::size_t in_flight_ = 0;
};

}  // namespace mqgate::webhooks
