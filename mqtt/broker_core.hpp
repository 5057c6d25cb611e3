// Internal state of the broker. Not part of the API: transports see
// ClientLink, the rest of the gateway sees Broker.
//
// Locking: one mutex guards everything here. Every entry point takes it
// through an Op, which also runs the callbacks queued during the operation
// (observers, internal subscribers) after the lock is released, so callbacks
// may call back into the broker and never run under the lock.
#pragma once

#include <atomic>
#include <list>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/intrusive/list.hpp>

#include "mqtt/broker.hpp"
#include "mqtt/errors.hpp"
#include "mqtt/persistence.hpp"
#include "mqtt/subscription_tree.hpp"

namespace mqgate::mqtt {

class BrokerCore;

// What REST keeps of a recently departed client whose session is gone
// (clean session). Clients with a session have their status in it.
struct ClientRecord {
    bool clean_session = true;
    ClientStatus status;
    std::list<std::string>::iterator departed;  // its id in BrokerCore::departed_
    // The session's counters when it went: REST shows what the client had
    // (15k messages dropped), not the zeros of a session that is gone.
    std::uint64_t dropped = 0;
    std::uint64_t messages_in = 0;
    std::uint64_t messages_out = 0;
};

// One attached connection. Every idle client holds one, so fields are ordered
// to pack and nothing is copied that the session already holds (memory per
// idle connection, bench idle scenario).
class Link final : public ClientLink {
public:
    Link(BrokerCore& core, std::shared_ptr<Connection> conn) : core_(core), conn_(std::move(conn)) {}

    void packet(Packet&& p) override;
    void malformed(std::error_code ec) override;
    void closed(DisconnectReason reason) override;

private:
    friend class BrokerCore;
    friend class Broker;
    // verifying: CONNECT is with the authorizer; what follows waits (BrokerCore::hold).
    enum class State : std::uint8_t { awaiting_connect, verifying, connected, closing, closed };

    void set_extras(std::string username, std::optional<Will> will) {
        if (username.empty() && !will) return;
        extras_ = std::make_unique<Extras>(
            Extras{std::move(username), will ? std::make_unique<Will>(std::move(*will)) : nullptr});
    }
    std::string_view username() const noexcept { return extras_ ? std::string_view(extras_->username) : std::string_view(); }
    const Will* will() const noexcept { return extras_ ? extras_->will.get() : nullptr; }
    // The will, now gone from the link (null if there was none).
    [[nodiscard]] std::unique_ptr<Will> take_will() noexcept { return extras_ ? std::move(extras_->will) : nullptr; }
    void drop_will() noexcept {
        if (extras_) extras_->will.reset();
    }

    // The session's client id: the only copy of it while connected. Empty
    // before CONNECT and once the session is detached (takeover, close).
    std::string_view client_id() const noexcept {
        return session_ ? std::string_view(session_->client_id) : std::string_view();
    }

    BrokerCore& core_;
    std::shared_ptr<Connection> conn_;  // reset in closed() to break the cycle with the transport
    // In BrokerCore::links_ until closed(). auto_unlink: a Link dropped
    // without closed() (a test double) leaves no dangling entry behind.
    using Hook = boost::intrusive::list_member_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>>;
    Hook attached_;
    // What CONNECT may carry and many clients leave out: a username
    // (authenticated clients) and a will. One pointer, null when there is
    // neither, instead of a std::string and a pointer in every Link (memory
    // per idle connection: the make_shared block is 88 B instead of 120; a
    // client with a username or a will pays a 40 B block on top).
    struct Extras {
        std::string username;
        std::unique_ptr<Will> will;
    };
    std::unique_ptr<Extras> extras_;
    SessionState* session_ = nullptr;  // set while connected and owning its client id
    State state_ = State::awaiting_connect;
    bool clean_session_ = true;
    bool subscription_limit_logged_ = false;  // limits are logged once per client
    std::uint16_t keepalive_ = 0;
    std::optional<DisconnectReason> close_reason_;  // chosen by the broker; wins over the transport's
    // With durable storage: the number of the last batch holding a frame
    // for this link; frames wait while it is not committed (persistence.hpp).
    std::uint64_t held_mark_ = 0;
};

// What an authorizer's answer, arriving on any thread at any time, reaches
// the core through: null once the core is gone. Its mutex is held while an
// answer is handled, so the core cannot go away under it.
struct CoreAnchor {
    std::mutex mutex;
    BrokerCore* core = nullptr;
};

class BrokerCore {
public:
    // `store`: durable storage, or null to keep everything in memory only.
    // Its state is loaded here (throws store::StoreError when it cannot be read).
    BrokerCore(BrokerOptions options, std::shared_ptr<Authorizer> auth, std::shared_ptr<RetainedStore> retained,
               std::shared_ptr<SessionStore> sessions, Clock clock, std::shared_ptr<store::Store> store);
    ~BrokerCore();
    BrokerCore(const BrokerCore&) = delete;
    BrokerCore& operator=(const BrokerCore&) = delete;

    // RAII for one broker operation: lock, then unlock and run deferred callbacks.
    class Op {
    public:
        explicit Op(BrokerCore& core) : core_(core), lock_(core.mutex_) {}
        ~Op();
        Op(const Op&) = delete;
        Op& operator=(const Op&) = delete;

    private:
        BrokerCore& core_;
        std::unique_lock<std::mutex> lock_;
    };

    // --- link handlers (called with the lock held) ---
    void on_packet(Link& link, Packet&& p);
    // `auth` and `identity` come from Authorizer::authenticate(), run before the lock.
    void on_connect(Link& link, Connect&& c, ConnectReturn auth, std::string identity);
    // Hands a CONNECT to the authorizer (lock not held): the link waits in
    // verifying_ until verified() runs with the answer.
    void verify(Link& link, Connect&& c);
    // The authorizer's answer for `ticket` (takes the lock): CONNACK, then
    // the packets held meanwhile. Nothing when the link closed in between.
    void verified(std::uint64_t ticket, Connect&& c, ConnectReturn auth, std::string identity);
    // A packet that came while the link's CONNECT is being verified (lock held).
    void hold(Link& link, Packet&& p);
    void on_publish(Link& link, Publish&& p);
    void on_puback(Link& link, std::uint16_t id);
    void on_pubrec(Link& link, std::uint16_t id);
    void on_pubrel(Link& link, std::uint16_t id);
    void on_pubcomp(Link& link, std::uint16_t id);
    // `s`'s client completed the delivery of `msg` (PUBACK, PUBCOMP): one
    // compare for a message nobody tracks.
    void acknowledged(const SessionState& s, const MessagePtr& msg) {
        if (msg->tracked()) [[unlikely]] report_ack(s, msg);
    }
    void report_ack(const SessionState& s, const MessagePtr& msg);
    void on_subscribe(Link& link, Subscribe&& s);
    void on_unsubscribe(Link& link, Unsubscribe&& u);
    void on_closed(Link& link, DisconnectReason reason);
    void protocol_error(Link& link, std::error_code ec);
    void close_link(Link& link, DisconnectReason reason);

    // --- routing (lock held) ---
    // Stores/deletes the retained copy, then delivers to every matching
    // subscriber. Returns the number of subscriptions reached.
    std::size_t route(const MessagePtr& msg);
    void deliver(SessionState& s, const MessagePtr& msg, std::uint8_t qos, bool retain);
    void drop(SessionState& s, const char* why);
    // `stored`: the message is in the durable store already (it comes from the session's stored queue).
    void send_publish(Link& link, SessionState& s, const MessagePtr& msg, std::uint8_t qos, bool retain,
                      bool stored = false);
    void pump_queue(Link& link, SessionState& s);
    void resend_inflight(Link& link, SessionState& s);
    void send_retained(Link& link, SessionState& s, const std::string& filter, std::uint8_t granted);
    void publish_will(Link& link);
    void discard_session(SessionState& s);

    // --- durable storage (lock held; broker_persist.cpp) ---
    bool persistent(const SessionState& s) const noexcept { return persist_ && !s.clean_session; }
    // The state the store held at start-up becomes the broker's.
    void restore(store::LoadedState state);
    // Writes the whole state again, after a failed commit left the store behind memory.
    void rewrite_all();
    // The end of an operation: submits what it wrote.
    void end_op();
    Link* live_link(std::string_view client_id) const;  // the client's connection, if connected

    // --- API helpers (lock held) ---
    void emit(Event ev);
    Event event_for(const Link& link, EventType type) const;
    // `s`: the client's session, if it has one; else `record`, what is left of it.
    ClientInfo client_info(std::string_view id, bool clean_session, const ClientStatus& status,
                           const SessionState* s, const ClientRecord* record = nullptr) const;
    // Keeps `record` for the API, the newest of at most
    // max_disconnected_records; replaces any older record of the client.
    void remember_disconnected(const std::string& client_id, ClientRecord record);
    void forget_disconnected(const std::string& client_id);  // connected again: the session has its status
    BrokerStats snapshot() const;
    void publish_sys();
    void expire_awaiting_rel();

    std::int64_t now_ms() const;
    MessagePtr make_message(std::string topic, std::string payload, std::uint8_t qos, bool retain,
                            std::string origin);
    void send(Link& link, const Packet& p);
    // Every frame to a link goes through here. With durable storage, a
    // `promise` waits for the commit of what the current operation wrote:
    // the acknowledgements, and QoS 2 deliveries (a crash undoing the
    // message's acceptance or its packet id would let a second copy through
    // under another id). QoS 0/1 deliveries go at once: a crash can at most
    // repeat a QoS 1 one, which QoS 1 allows, and a subscriber's window of
    // 20 does not wait for an fsync per round. Any frame waits behind the
    // link's earlier held frames.
    void transmit(Link& link, Frame&& f, bool promise);

    mutable std::mutex mutex_;
    std::vector<std::function<void()>> deferred_;
    std::shared_ptr<CoreAnchor> anchor_;

    // Links in State::verifying, by ticket (a link's address could be reused
    // by a new link before a late answer arrives): the packets the client
    // sent after CONNECT, replayed in order once it is answered. Few at a
    // time: the authorizer's queue bounds them, so lookups scan.
    struct Verifying {
        Link* link = nullptr;
        std::vector<Packet> later;
        std::size_t later_bytes = 0;
    };
    std::unordered_map<std::uint64_t, Verifying> verifying_;
    std::uint64_t next_ticket_ = 1;

    BrokerOptions options_;
    std::shared_ptr<Authorizer> auth_;
    std::shared_ptr<RetainedStore> retained_;
    std::shared_ptr<SessionStore> sessions_;
    std::unique_ptr<Persistence> persist_;  // null without durable storage
    Clock clock_;
    std::int64_t started_ms_;

    SubscriptionTree<SessionState*> subscriptions_;
    // Every attached, not yet closed link; intrusive, so attaching allocates
    // no node (memory per idle connection).
    boost::intrusive::list<Link, boost::intrusive::member_hook<Link, Link::Hook, &Link::attached_>,
                           boost::intrusive::constant_time_size<false>>
        links_;
    // Connected clients are found through their session (SessionState::link):
    // no index of their own (memory per idle connection).
    std::size_t connected_ = 0;
    // Departed clients without a session: client id -> status for the API.
    std::unordered_map<std::string, ClientRecord> records_;
    // The ids in records_, oldest departure first, one entry per id (a
    // second entry would evict the record of a later departure early).
    std::list<std::string> departed_;

    struct InternalSubscriber {
        std::string filter;
        std::shared_ptr<const Broker::MessageCallback> callback;  // null for a staged one
        Broker::StageCallback stage;                               // runs under the lock (route())
        bool relays = false;                                       // Broker::subscribe's `relays`
    };
    SubscriptionTree<std::uint64_t> internal_tree_;
    std::unordered_map<std::uint64_t, InternalSubscriber> internal_;
    std::unordered_map<std::uint64_t, std::shared_ptr<const Broker::Observer>> observers_;
    std::shared_ptr<const Broker::AckListener> ack_listener_;  // null: acknowledgements go unreported
    std::uint64_t next_id_ = 1;
    std::uint64_t next_client_number_ = 1;

    std::vector<std::pair<SessionState*, std::uint8_t>> match_scratch_;

    BrokerStats stats_;  // counters; gauges are computed in stats()
    std::atomic<std::uint64_t> bytes_received_{0};
    std::atomic<std::uint64_t> bytes_sent_{0};
};

}  // namespace mqgate::mqtt
