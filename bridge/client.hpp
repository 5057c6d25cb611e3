// One bridge: mqgate as an MQTT 3.1.1 client of an upstream broker (README
// "Bridges"). Local publishes matching an `out` route are queued (OutQueue)
// and published upstream in order; upstream messages matching an `in` route
// are published into the local broker as an internal client. It lives on one
// I/O thread (its io_context): every handler runs there, so its state needs
// no lock; status() is the one thing other threads read.
//
// No loops: what it publishes locally carries the tag "bridge:<name>"
// (Broker::publish), and its own local subscriptions skip messages with that
// tag, so a message that came from the upstream never goes back to it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bridge/echo_filter.hpp"
#include "bridge/out_queue.hpp"
#include "bridge/routes.hpp"
#include "config/config.hpp"
#include "mqtt/auth.hpp"
#include "mqtt/broker.hpp"
#include "mqtt/packet.hpp"
#include "store/store.hpp"

namespace mqgate::bridge {

enum class State : std::uint8_t { connecting, connected, backing_off, stopped };
const char* to_string(State s) noexcept;

// GET /api/v1/bridges, /metrics.
struct BridgeStatus {
    State state = State::connecting;
    std::string address;           // the upstream address in use, or being tried
    std::string last_error;        // why the last connection failed or ended; "" = none yet
    int connack_code = -1;         // the last CONNACK's return code; -1 = none received yet
    bool refused = false;          // the last attempt got a CONNACK refusing it (bad credentials, ...)
    std::int64_t connected_at_ms = 0;  // when the current connection was accepted; 0 while not connected
    std::int64_t retry_at_ms = 0;      // backing off: when the next attempt starts
    std::uint64_t forwarded_out = 0;   // messages the upstream took (QoS 1/2: acknowledged)
    std::uint64_t forwarded_in = 0;    // upstream messages published locally
    std::uint64_t dropped = 0;         // out messages dropped from a full queue
    std::uint64_t echoes = 0;          // our own messages a plain 3.1.1 upstream sent back, not published again
    std::uint64_t failures = 0;        // connection attempts that failed or connections that ended
    std::uint64_t denied = 0;          // messages the local ACL kept from crossing (local_username), both ways
    std::uint64_t stored = 0;          // QoS 1/2 out messages written to the store with their publish (storage on)
    std::uint64_t store_errors = 0;    // removals of acknowledged or dropped messages the store refused
    std::size_t queued = 0;            // waiting to go upstream, or sent and not yet acknowledged
    std::size_t queued_bytes = 0;
};

class BridgeClient : public std::enable_shared_from_this<BridgeClient> {
public:
    // `tls`: the client context when options.tls, else null. `store`: with
    // durable storage, QoS 1/2 messages waiting to go upstream are kept in its
    // named queue "bridge:<name>" until acknowledged, each written in the
    // batch of the publish that made it (the local publisher's PUBACK waits
    // for it); null keeps them in memory. `auth`: the local ACL, asked as
    // options.local_username (null: everything crosses).
    // The broker must outlive the local subscriptions (until stop()).
    BridgeClient(config::BridgeOptions options, std::string client_id, mqtt::Broker& broker,
                 boost::asio::io_context& io, std::shared_ptr<boost::asio::ssl::context> tls,
                 std::shared_ptr<store::Store> store, std::shared_ptr<mqtt::Authorizer> auth);

    // Takes back what the store's queue holds (start-up, before start(); throws StoreError).
    void restore();
    BridgeClient(const BridgeClient&) = delete;
    BridgeClient& operator=(const BridgeClient&) = delete;

    // Subscribes locally to the `out` routes, then connects.
    void start();
    // Unsubscribes locally at once (any thread); on its own thread sends
    // DISCONNECT and closes. The broker is not touched after this returns.
    void stop();
    // After stop() and a flush of the store: deletes what the store's queue
    // holds for this bridge (SIGHUP removed it; a later bridge of the same
    // name starts empty, as a removed webhook's successor does). Returns how
    // many were deleted; throws StoreError if the store cannot be read.
    std::size_t discard_stored();

    const config::BridgeOptions& options() const noexcept { return options_; }
    const std::string& client_id() const noexcept { return client_id_; }
    BridgeStatus status() const;

private:
    struct Link;  // one connection attempt: its socket, decoder and writes
    using LinkPtr = std::shared_ptr<Link>;

    // Under the broker's lock (Broker::subscribe_staged): whether `message`
    // goes upstream, its store write added to `batch`; the job returned hands
    // it to offer() on the bridge's thread. None: it does not cross.
    std::function<void()> stage(const mqtt::MessagePtr& message, store::Batch* batch);
    void offer(Outgoing item);
    bool allowed(std::string_view local_topic, mqtt::Access access);
    void connect();
    void on_transport(const LinkPtr& link);
    void read(const LinkPtr& link);
    void handle(const LinkPtr& link, mqtt::Packet&& packet);
    void on_connack(const LinkPtr& link, const mqtt::Connack& connack);
    void on_publish(const LinkPtr& link, mqtt::Publish&& publish);
    void on_acknowledged(const LinkPtr& link, std::uint16_t packet_id, std::uint8_t qos);
    // An upstream message's PUBACK/PUBREC: held in order (its number returned) until ack_stored().
    std::uint64_t hold_ack(const LinkPtr& link, mqtt::Packet ack);
    void acknowledge(const LinkPtr& link, mqtt::Packet ack);  // held behind the earlier ones only
    void ack_stored(const LinkPtr& link, std::uint64_t n, std::error_code ec);
    void send(const LinkPtr& link, const mqtt::Packet& packet);
    void write(const LinkPtr& link, std::string frame);
    void write_next(const LinkPtr& link);
    void pump(const LinkPtr& link);
    void keepalive(const LinkPtr& link);
    // Ends `link` (if still current) and schedules the next attempt after a backoff.
    void fail(const LinkPtr& link, std::string reason, bool refused = false);
    void disconnect();
    void store_remove(std::uint64_t seq);
    std::string queue_name() const { return "bridge:" + options_.name; }
    std::uint16_t next_packet_id();
    template <class F>
    void update(F f) {
        std::lock_guard lock(status_mutex_);
        f(status_);
    }

    const config::BridgeOptions options_;
    const std::string client_id_;
    const std::string tag_;  // "bridge:<name>": the mark of messages it published locally
    const std::vector<Route> routes_;
    mqtt::Broker& broker_;
    boost::asio::io_context& io_;
    std::shared_ptr<boost::asio::ssl::context> tls_;
    std::shared_ptr<store::Store> store_;
    std::shared_ptr<mqtt::Authorizer> auth_;
    boost::asio::ip::tcp::resolver resolver_;
    boost::asio::steady_timer timer_;        // connect timeout, then keepalive
    boost::asio::steady_timer retry_timer_;  // backoff
    LinkPtr link_;                           // the current attempt or connection; null while backing off
    OutQueue queue_;
    EchoFilter echo_;  // on a plain 3.1.1 connection: what we sent that comes back
    std::set<std::uint16_t> awaiting_rel_;   // inbound QoS 2 ids published locally, PUBREL not yet received
    std::uint16_t last_packet_id_ = 0;
    std::size_t address_index_ = 0;
    unsigned failures_ = 0;                  // in a row, for the backoff
    bool connected_ = false;                 // CONNACK accepted on link_
    bool ping_outstanding_ = false;
    bool private_ = true;                    // CONNECT with protocol level 0x84
    bool stopped_ = false;
    // Set by stop() on any thread: a read completion already queued then (run late, by the gateway's
    // final drain of the I/O contexts) must not publish into a broker that is shutting down.
    std::atomic<bool> stopping_{false};
    std::mt19937_64 random_;
    std::vector<std::uint64_t> subscriptions_;
    std::mutex subscriptions_mutex_;
    mutable std::mutex status_mutex_;
    BridgeStatus status_;
};

}  // namespace mqgate::bridge
