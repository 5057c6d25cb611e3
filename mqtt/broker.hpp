// The broker core's narrow API. Transports attach connections and feed them
// decoded packets; the rest of the gateway (REST, streams, $SYS, metrics) uses
// only the public operations below. Thread-safe: every call may come from any
// thread. Callbacks (observers, internal subscribers) run after the broker's
// lock is released, so they may call back into the broker.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "mqtt/auth.hpp"
#include "mqtt/broker_options.hpp"
#include "mqtt/connection.hpp"
#include "mqtt/events.hpp"
#include "mqtt/message.hpp"
#include "mqtt/packet.hpp"
#include "mqtt/storage.hpp"

namespace mqgate::store {
class Store;
class Batch;
struct StoreStats;
}

namespace mqgate::mqtt {

class BrokerCore;

// A transport's handle on one network connection. Created by
// Broker::attach(); the transport calls these from the connection's own
// thread, in order.
class ClientLink {
public:
    virtual ~ClientLink() = default;
    // One decoded packet.
    virtual void packet(Packet&& p) = 0;
    // The decoder failed: the broker closes the connection as a protocol
    // error (the will is published).
    virtual void malformed(std::error_code ec) = 0;
    // The transport is closed (always called exactly once, last). `reason` is
    // the transport's view; a reason the broker chose earlier takes precedence.
    virtual void closed(DisconnectReason reason) = 0;
};

struct ClientInfo {
    std::string client_id;
    std::string username;
    bool connected = false;
    bool clean_session = true;
    std::int64_t connected_at_ms = 0;      // last connect (0 if never while this session lived)
    std::int64_t disconnected_at_ms = 0;   // last disconnect (0 while connected)
    std::string disconnect_reason;         // last reason, empty while connected
    PeerInfo peer;                          // last peer
    std::uint16_t keepalive = 0;
    std::size_t subscriptions = 0;
    std::size_t inflight = 0;
    std::size_t queued = 0;
    std::uint64_t dropped = 0;
    std::uint64_t messages_in = 0;
    std::uint64_t messages_out = 0;
    std::optional<std::string> will_topic;
};

struct SubscriptionInfo {
    std::string client_id;
    std::string filter;
    std::uint8_t qos = 0;
};

struct BrokerStats {
    std::size_t clients_connected = 0;
    std::size_t clients_disconnected = 0;  // persistent sessions without a connection
    std::size_t clients_maximum = 0;       // highest concurrent connections seen
    std::size_t sessions = 0;
    std::size_t subscriptions = 0;         // client subscriptions (not internal)
    std::size_t internal_subscriptions = 0;  // JSON streams, SSE, requests waiting for a reply
    std::size_t retained = 0;
    std::size_t inflight = 0;
    std::size_t queued = 0;
    std::uint64_t messages_received = 0;   // PUBLISH in (MQTT + API)
    std::uint64_t messages_sent = 0;       // PUBLISH out to MQTT clients
    std::uint64_t messages_dropped = 0;    // dropped: queue full or slow QoS 0 consumer
    std::uint64_t bytes_received = 0;      // transport bytes, reported by transports
    std::uint64_t bytes_sent = 0;
    std::uint64_t publish_denied = 0;      // dropped by the ACL or written to $SYS by a client
    std::uint64_t subscribe_refused = 0;   // SUBACK 0x80: ACL, topic levels or subscription limit
    std::uint64_t connections_total = 0;   // accepted CONNECTs since start
    std::uint64_t protocol_errors = 0;
    std::int64_t uptime_seconds = 0;
};

struct PublishResult {
    std::error_code error;    // invalid topic or QoS: nothing was published
    std::size_t matched = 0;  // client + internal subscriptions the message reached
};

struct RetainedPage {
    std::vector<MessagePtr> messages;
    // Where to go on: pass it as `after`. Empty once nothing further can
    // match; a page may be short, even empty, while it is not.
    std::string next;
};

using Clock = std::function<std::chrono::system_clock::time_point()>;

class Broker {
public:
    // `store`: durable storage (store/), or null to keep everything in
    // memory only. Its state becomes the broker's in load().
    explicit Broker(BrokerOptions options, std::shared_ptr<Authorizer> auth = nullptr,
                    std::shared_ptr<RetainedStore> retained = nullptr,
                    std::shared_ptr<SessionStore> sessions = nullptr, Clock clock = nullptr,
                    std::shared_ptr<store::Store> store = nullptr);
    ~Broker();
    Broker(const Broker&) = delete;
    // Takes in what the store holds, once, before any traffic (a no-op without a store). Separate from
    // construction so that the gateway answers its health probes meanwhile. Throws store::StoreError
    // when the store cannot be read.
    void load();
    Broker& operator=(const Broker&) = delete;

    // --- transports ---
    std::shared_ptr<ClientLink> attach(std::shared_ptr<Connection> conn);
    // Transport byte counters for $SYS and stats.
    void count_bytes(std::uint64_t received, std::uint64_t sent) noexcept;
    const BrokerLimits& limits() const noexcept;
    // The node's name ($SYS/brokers/<node>/..., shown by REST and the dashboard).
    const std::string& node_name() const noexcept;

    // --- the narrow API ---
    // Publish as an internal client (REST, JSON stream): retained handling,
    // ACL-free, no will. A topic starting with $SYS is refused
    // (Errc::sys_topic_forbidden, counted in publish_denied): only the broker writes there.
    // A non-empty `tag` makes the message tracked (see set_ack_listener).
    // `stored`, when set and the publish is accepted (no result.error), is called once on any thread,
    // possibly before publish() returns: with {} when what the publish wrote (a retained message, a
    // persistent session's queue) is durable, at once when it wrote nothing, or with the store's error
    // (the message reached live subscribers but is not on disk). REST answers wait for it.
    using StoredCallback = std::function<void(std::error_code)>;
    PublishResult publish(std::string topic, std::string payload, std::uint8_t qos, bool retain,
                          std::string_view tag = {}, StoredCallback stored = {});
    // The broker's own messages, $SYS included (the gateway's connection events).
    PublishResult publish_as_broker(std::string topic, std::string payload, std::uint8_t qos, bool retain);

    // Internal subscriber (JSON streams, SSE): live messages only. `on_message`
    // runs outside the broker lock, possibly on any thread; it must not block
    // for long. A subscriber wanting the retained messages reads them with
    // retained_page(), a bounded chunk per call.
    // `relays`: it carries messages on to clients elsewhere (a bridge's out
    // direction), so it counts in has_subscriber().
    using MessageCallback = std::function<void(const MessagePtr&)>;
    std::uint64_t subscribe(std::string filter, MessageCallback on_message, bool relays = false);
    // An internal subscriber whose record of a message must be as durable as
    // the message's acknowledgement (webhooks' message.publish outbox: acked
    // means stored). `stage` runs UNDER the broker's lock while the message is
    // routed. With durable storage it is given the operation's batch and adds
    // its writes to it: they commit in the same transaction as the message's
    // own writes, and the publisher's PUBACK/PUBREC waits for that commit.
    // Without storage it is given null. It must be quick and must not call
    // into the broker; the job it returns (if any) runs after the lock is
    // released and the batch submitted, like a MessageCallback; returning none
    // means it did not take the message (not counted in PublishResult::matched).
    // `relays` as for subscribe() (a bridge's durable out queue).
    using StageCallback = std::function<std::function<void()>(const MessagePtr&, store::Batch*)>;
    std::uint64_t subscribe_staged(std::string filter, StageCallback stage, bool relays = false);
    // Ends a subscribe() or subscribe_staged() subscription.
    void unsubscribe(std::uint64_t subscription_id);

    // Does a client session (connected or persistent) hold a subscription
    // that matches `topic`, or a relaying internal one (a bridge to devices
    // on other nodes)? Other internal subscribers do not count: a device
    // request (control/) is pointless when no device would receive it.
    bool has_subscriber(std::string_view topic) const;

    std::vector<ClientInfo> clients() const;
    std::optional<ClientInfo> client(std::string_view client_id) const;
    std::vector<SubscriptionInfo> subscriptions() const;

    // Up to `limit` retained messages matching `filter`, in bytewise topic
    // order, after the topic `after` ("" = from the first), examining at most
    // `budget` stored topics under the lock (RetainedStore::scan). An invalid
    // filter gives an empty last page.
    RetainedPage retained_page(std::string_view filter, std::string_view after, std::size_t limit,
                               std::size_t budget) const;
    MessagePtr retained_get(std::string_view topic) const;
    bool retained_delete(std::string_view topic);

    // Closes the client's connection. Its will IS published: a kicked client
    // did not send DISCONNECT (EMQX does the same). Returns false if unknown
    // or not connected.
    bool kick(std::string_view client_id);

    // Acknowledgements of tracked messages (device commands, control/): each
    // client whose PUBACK (QoS 1) or PUBCOMP (QoS 2) completes the delivery
    // of a message published with a tag is reported, with the message
    // (Message::tag()). The tag is stored with the message, so deliveries
    // restored by durable storage after a restart are reported too. A
    // delivery downgraded to QoS 0, dropped from a full queue or lost with a
    // clean session has no acknowledgement and is never reported. One
    // listener; a new one replaces it, null removes it.
    using AckListener = std::function<void(const std::string& client_id, const MessagePtr& message)>;
    void set_ack_listener(AckListener listener);

    using Observer = std::function<void(const Event&)>;
    std::uint64_t observe(Observer observer);
    void unobserve(std::uint64_t observer_id);

    BrokerStats stats() const;
    // The durable store's figures (commits, latency, bytes, pending writes);
    // false without durable storage.
    bool storage_stats(store::StoreStats& out) const;
    // Where the frames a commit releases are sent from: `dispatch` runs the
    // job it is given, in the order given, on one I/O thread (the transport's
    // own executor). Without it they are sent from the store thread, one
    // cross-thread hand-off per connection, each able to wake an I/O thread
    // that then waits for the store thread's lock on its queue. Set before
    // any traffic; no-op without durable storage.
    using Dispatch = std::function<void(std::function<void()>)>;
    void dispatch_commits(Dispatch dispatch);

    // Periodic housekeeping: expire inbound QoS 2 state and publish
    // $SYS/broker/... statistics. Call every sys_interval.
    void tick();

    // Closes every connection with server_shutdown. Wills are not published:
    // the broker is going away, not the client.
    void shutdown();

private:
    friend class BrokerLinkImpl;
    std::unique_ptr<BrokerCore> core_;
};

}  // namespace mqgate::mqtt
