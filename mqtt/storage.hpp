// Where broker state lives while the broker runs: in memory, always. With
// durable storage on, the core also writes every change of persistent
// sessions and retained messages to the store (persistence.hpp) and rebuilds
// these from it at start-up. All calls are made under the broker's lock, so
// implementations need no locking of their own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "mqtt/connection.hpp"
#include "mqtt/message.hpp"
#include "mqtt/ring_queue.hpp"

namespace mqgate::mqtt {

// Where RetainedStore::scan() stopped.
struct RetainedScan {
    std::string last;   // the last topic examined, matching or not ("" if none): `after` for the next scan
    bool done = false;  // no stored topic after `last` matches the filter
};

class RetainedStore {
public:
    virtual ~RetainedStore() = default;
    // Stores `msg` under msg->topic, replacing any earlier one.
    virtual void put(MessagePtr msg) = 0;
    virtual bool erase(std::string_view topic) = 0;
    virtual MessagePtr get(std::string_view topic) const = 0;
    // Calls `f` for the stored messages whose topic matches `filter`
    // (wildcards and the '$' rule as for subscriptions) in bytewise topic
    // order, starting after the topic `after` ("" = from the first). Stops
    // after a message for which `f` returns false, or once `budget` stored
    // topics were examined, matching or not: a call costs O(log n + budget)
    // whatever the filter, so callers holding the broker's lock page through
    // a large set in bounded steps. An ordered index on topics (a std::set,
    // an SQLite primary key) serves it as a range query from the filter's
    // literal prefix.
    virtual RetainedScan scan(std::string_view filter, std::string_view after, std::size_t budget,
                              const std::function<bool(const MessagePtr&)>& f) const = 0;
    virtual std::size_t size() const = 0;
    // Every stored message, '$' topics included, in topic order.
    virtual void for_each(const std::function<void(const MessagePtr&)>& f) const = 0;
};

std::shared_ptr<RetainedStore> make_memory_retained_store();

// A message waiting in a session's queue.
struct QueuedMessage {
    MessagePtr message;
    std::uint8_t qos = 0;  // already downgraded to the subscription's QoS
    bool retain = false;   // RETAIN flag on the wire: set only for retained messages sent on subscribe
    std::uint64_t seq = 0; // its entry in the durable store (persistence.hpp); 0 when not stored
};

// An outbound QoS 1/2 message sent and not yet fully acknowledged.
struct InflightMessage {
    std::uint16_t packet_id = 0;
    MessagePtr message;
    std::uint8_t qos = 1;
    bool retain = false;
    bool released = false;  // QoS 2: PUBREC received and PUBREL sent; awaiting PUBCOMP
    std::uint64_t seq = 0;  // send order in the durable store (persistence.hpp); 0 when not stored
};

class Link;  // the broker's side of a live connection (broker_core.hpp)

// A session's subscriptions: filter -> granted QoS, in filter order. The map
// is made by the first SUBSCRIBE and freed with the last UNSUBSCRIBE: most
// clients of a large fleet never subscribe, and an empty std::map is six
// words in every session (memory per idle connection).
class SessionSubscriptions {
public:
    using Map = std::map<std::string, std::uint8_t, std::less<>>;
    using const_iterator = Map::const_iterator;

    bool empty() const noexcept { return !map_; }
    std::size_t size() const noexcept { return map_ ? map_->size() : 0; }
    bool contains(std::string_view filter) const { return map_ && map_->contains(filter); }
    const_iterator find(std::string_view filter) const { return map_ ? map_->find(filter) : end(); }
    // Without a map, begin() == end(): value-initialized iterators compare
    // equal, as the empty range they stand for.
    const_iterator begin() const noexcept { return map_ ? map_->cbegin() : const_iterator(); }
    const_iterator end() const noexcept { return map_ ? map_->cend() : const_iterator(); }

    // Adds `filter`, or replaces its QoS if it is there.
    void set(const std::string& filter, std::uint8_t qos) {
        if (!map_) map_ = std::make_unique<Map>();
        map_->insert_or_assign(filter, qos);
    }
    // Returns whether `filter` was there.
    bool erase(std::string_view filter) {
        if (!map_) return false;
        const auto it = map_->find(filter);
        if (it == map_->end()) return false;
        map_->erase(it);
        if (map_->empty()) map_.reset();
        return true;
    }

private:
    std::unique_ptr<Map> map_;
};

// How a client that is no longer connected was connected, for the API.
struct Departure {
    std::string username;
    PeerInfo peer;
    std::uint16_t keepalive = 0;
    std::string reason;
};

// A client's connection history for the API (REST /api/v1/clients). While
// connected, username, address and keepalive are read from the live
// connection instead of copied here.
struct ClientStatus {
    std::int64_t connected_at_ms = 0;
    std::int64_t disconnected_at_ms = 0;
    std::unique_ptr<Departure> departure;  // set while disconnected
};

// The part of a session that outlives its connection [MQTT-3.1.2-4].
struct SessionState {
    // Set by the store that made the state, and pointing into storage it
    // keeps as long as the state lives: the memory store holds the id's
    // bytes in the state's own block, one allocation per session rather than
    // two when the id is longer than std::string's 15-character small buffer
    // (memory per idle connection). Copy it to keep it past erase().
    std::string_view client_id;
    // The live connection, if any; the broker's own bookkeeping, not stored
    // state. A field rather than a map from session to link: one hash node
    // less per connected client (memory per idle connection).
    Link* link = nullptr;
    bool clean_session = true;
    std::uint16_t last_packet_id = 0;  // next to clean_session: they share a word
    SessionSubscriptions subscriptions;
    RingQueue<QueuedMessage> queue;      // waiting for an in-flight slot or a connection
    RingQueue<InflightMessage> inflight; // in send order, for resend order [MQTT-4.6.0-1]
    std::size_t queued_bytes = 0;         // payload bytes in `queue`
    // Inbound QoS 2 ids -> received at (ms). Created by the first QoS 2
    // PUBLISH in: most clients never send one, and an empty std::map is six
    // words in every session (memory per idle connection).
    using AwaitingRel = std::map<std::uint16_t, std::int64_t>;
    std::unique_ptr<AwaitingRel> awaiting_rel;
    std::uint64_t dropped = 0;
    std::uint64_t messages_in = 0;
    std::uint64_t messages_out = 0;
    // Kept with the session rather than in a record of its own: no extra
    // allocation per connected client (memory per idle connection).
    ClientStatus status;
};

class SessionStore {
public:
    virtual ~SessionStore() = default;
    virtual SessionState* find(std::string_view client_id) = 0;
    virtual SessionState& create(std::string_view client_id) = 0;  // replaces any existing one
    virtual void erase(std::string_view client_id) = 0;
    virtual std::size_t size() const = 0;
    virtual void for_each(const std::function<void(SessionState&)>& f) = 0;
};

std::shared_ptr<SessionStore> make_memory_session_store();

}  // namespace mqgate::mqtt
