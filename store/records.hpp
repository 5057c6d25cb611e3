// The plain records the durable store keeps, and what load() returns at
// start-up. The store sits below the broker core: these are its own types
// (no mqtt/ includes), which the core converts to and from its own.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mqgate::store {

// Identifies a stored message; made by Store::next_id(). Sessions' queues, in-flight entries and
// retained topics refer to a message by id, so its payload is stored once however many refer to it.
using MessageId = std::uint64_t;

struct StoredMessage {
    std::string topic;
    std::string payload;  // binary
    std::uint8_t qos = 0;
    bool retain = false;
    std::int64_t timestamp_ms = 0;
    std::string origin_client_id;

    bool operator==(const StoredMessage&) const = default;
};

struct RetainedRecord {
    std::string topic;
    MessageId message = 0;

    bool operator==(const RetainedRecord&) const = default;
};

struct SubscriptionRecord {
    std::string filter;
    std::uint8_t qos = 0;

    bool operator==(const SubscriptionRecord&) const = default;
};

// A message waiting in a persistent session's queue. `seq` (from Store::next_id()) orders the queue
// and names the entry for removal.
struct QueuedRecord {
    std::uint64_t seq = 0;
    MessageId message = 0;
    std::uint8_t qos = 0;  // already downgraded to the subscription's QoS
    bool retain = false;

    bool operator==(const QueuedRecord&) const = default;
};

// Which acknowledgement an outbound QoS 1/2 message waits for.
enum class InflightStage : std::uint8_t {
    awaiting_puback = 1,   // QoS 1
    awaiting_pubrec = 2,   // QoS 2, PUBLISH sent
    awaiting_pubcomp = 3,  // QoS 2, PUBREC received and PUBREL sent
};

// An outbound message sent and not yet fully acknowledged. `seq` keeps the send order, which a resend
// after reconnecting must follow [MQTT-4.6.0-1].
struct InflightRecord {
    std::uint16_t packet_id = 0;
    std::uint64_t seq = 0;
    MessageId message = 0;
    std::uint8_t qos = 1;
    bool retain = false;
    InflightStage stage = InflightStage::awaiting_puback;
    bool dup = false;  // sent at least once: a resend sets DUP

    bool operator==(const InflightRecord&) const = default;
};

// An inbound QoS 2 packet id whose PUBREC was sent and whose PUBREL has not come: a PUBLISH
// resent with this id must not be delivered again, across a restart too.
struct InboundRecord {
    std::uint16_t packet_id = 0;
    std::int64_t received_at_ms = 0;

    bool operator==(const InboundRecord&) const = default;
};

// A session with clean session 0; each list in the order the broker needs it.
struct SessionRecord {
    std::string client_id;
    std::vector<SubscriptionRecord> subscriptions;  // by filter, bytewise
    std::vector<QueuedRecord> queue;                // by seq
    std::vector<InflightRecord> inflight;           // by seq (send order)
    std::vector<InboundRecord> inbound;             // by packet id

    bool operator==(const SessionRecord&) const = default;
};

// An item of a named durable queue (device commands, webhook outbox, bridge queue).
struct QueueItem {
    std::uint64_t seq = 0;
    std::string data;  // binary, the queue's user decides the format

    bool operator==(const QueueItem&) const = default;
};

// Everything the store holds, for the broker to rebuild its state at start-up.
struct LoadedState {
    std::map<MessageId, StoredMessage> messages;  // each referenced message once
    std::vector<RetainedRecord> retained;         // by topic, bytewise
    std::vector<SessionRecord> sessions;          // by client id, bytewise
    std::map<std::string, std::vector<QueueItem>> queues;  // by name; items by seq
    std::uint64_t next_id = 1;                    // above every id and seq ever handed out

    bool operator==(const LoadedState&) const = default;
};

}  // namespace mqgate::store
