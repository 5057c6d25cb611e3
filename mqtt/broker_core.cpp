#include "mqtt/broker_core.hpp"

#include "mqtt/codec.hpp"
#include "support/log.hpp"

namespace mqgate::mqtt {

const char* to_string(DisconnectReason r) noexcept {
    switch (r) {
        case DisconnectReason::normal: return "normal";
        case DisconnectReason::network_error: return "network_error";
        case DisconnectReason::keepalive_timeout: return "keepalive_timeout";
        case DisconnectReason::protocol_error: return "protocol_error";
        case DisconnectReason::takeover: return "takeover";
        case DisconnectReason::kicked: return "kicked";
        case DisconnectReason::connect_rejected: return "connect_rejected";
        case DisconnectReason::connect_timeout: return "connect_timeout";
        case DisconnectReason::slow_consumer: return "slow_consumer";
        case DisconnectReason::server_shutdown: return "server_shutdown";
        case DisconnectReason::storage_error: return "storage_error";
    }
    return "unknown";
}

const char* to_string(EventType t) noexcept {
    switch (t) {
        case EventType::client_connected: return "client.connected";
        case EventType::client_disconnected: return "client.disconnected";
        case EventType::will_published: return "will.published";
        case EventType::session_subscribed: return "session.subscribed";
        case EventType::session_unsubscribed: return "session.unsubscribed";
        case EventType::client_kicked: return "client.kicked";
        case EventType::client_auth_failed: return "client.auth_failed";
        case EventType::command_sent: return "command.sent";
        case EventType::command_acked: return "command.acked";
        case EventType::command_replied: return "command.replied";
        case EventType::command_expired: return "command.expired";
    }
    return "unknown";
}

BrokerCore::BrokerCore(BrokerOptions options, std::shared_ptr<Authorizer> auth,
                       std::shared_ptr<RetainedStore> retained, std::shared_ptr<SessionStore> sessions, Clock clock,
                       std::shared_ptr<store::Store> store)
    : options_(std::move(options)),
      auth_(auth ? std::move(auth) : std::make_shared<AllowAllAuthorizer>()),
      retained_(retained ? std::move(retained) : make_memory_retained_store()),
      sessions_(sessions ? std::move(sessions) : make_memory_session_store()),
      clock_(clock ? std::move(clock) : Clock([] { return std::chrono::system_clock::now(); })),
      started_ms_(0) {
    started_ms_ = now_ms();
    anchor_ = std::make_shared<CoreAnchor>();
    anchor_->core = this;
    if (store) {
        persist_ = std::make_unique<Persistence>(std::move(store));
    }
}

BrokerCore::~BrokerCore() {
    std::lock_guard gone(anchor_->mutex);
    anchor_->core = nullptr;
}

BrokerCore::Op::~Op() {
    if (core_.persist_) core_.end_op();
    // Callbacks run outside the lock, in the order they were queued.
    std::vector<std::function<void()>> callbacks;
    callbacks.swap(core_.deferred_);
    lock_.unlock();
    for (auto& f : callbacks) {
        try {
            f();
        } catch (const std::exception& e) {
            LOG_ERROR("broker callback threw: " << e.what());
        }
    }
}

std::int64_t BrokerCore::now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock_().time_since_epoch()).count();
}

MessagePtr BrokerCore::make_message(std::string topic, std::string payload, std::uint8_t qos, bool retain,
                                    std::string origin) {
    auto m = std::make_shared<Message>();
    m->topic = std::move(topic);
    m->payload = std::move(payload);
    m->qos = qos;
    m->retain = retain;
    m->timestamp_ms = now_ms();
    m->origin_client_id = std::move(origin);
    return m;
}

void BrokerCore::send(Link& link, const Packet& p) {
    if (!link.conn_) return;
    Frame f;
    encode(p, f.head);
    transmit(link, std::move(f), true);
}

void BrokerCore::transmit(Link& link, Frame&& f, bool promise) {
    if (!link.conn_) return;
    if (persist_ && ((promise && persist_->writing()) || persist_->held(link.held_mark_)))
        return persist_->hold(link.held_mark_, link.conn_, std::move(f));
    link.conn_->send(std::move(f));
}

void BrokerCore::emit(Event ev) {
    if (observers_.empty()) return;
    auto shared = std::make_shared<const Event>(std::move(ev));
    for (const auto& [id, obs] : observers_) {
        deferred_.emplace_back([obs = obs, shared] { (*obs)(*shared); });
    }
}

Event BrokerCore::event_for(const Link& link, EventType type) const {
    Event ev;
    ev.type = type;
    ev.timestamp_ms = now_ms();
    ev.client_id = link.client_id();
    ev.username = link.username();
    if (link.conn_) {
        const PeerInfo& peer = link.conn_->peer();
        ev.address = peer.address;
        ev.port = peer.port;
        ev.local_port = peer.local_port;
        ev.protocol = peer.protocol;
    }
    ev.keepalive = link.keepalive_;
    ev.clean_session = link.clean_session_;
    return ev;
}

void BrokerCore::close_link(Link& link, DisconnectReason reason) {
    if (link.state_ == Link::State::closing || link.state_ == Link::State::closed) return;
    if (!link.close_reason_) link.close_reason_ = reason;
    if (link.state_ == Link::State::awaiting_connect || link.state_ == Link::State::verifying)
        link.state_ = Link::State::closing;
    // A connected link stays "connected" until the transport reports closed():
    // that is where the will and the session are handled, once.
    if (link.state_ == Link::State::connected) link.state_ = Link::State::closing;
    if (link.conn_) link.conn_->close(reason);
}

void BrokerCore::protocol_error(Link& link, std::error_code ec) {
    ++stats_.protocol_errors;
    // Configured limits are worth an operator's attention; malformed input
    // from broken clients is not (at the default level).
    if (ec == Errc::packet_too_large || ec == Errc::connect_too_large || ec == Errc::too_many_topic_levels) {
        LOG_WARN("closing " << (link.conn_ ? link.conn_->peer().address : "") << " ('" << link.client_id()
                            << "'): " << ec.message());
        return close_link(link, DisconnectReason::protocol_error);
    }
    LOG_DEBUG("protocol error from " << (link.client_id().empty() ? std::string_view("<no CONNECT>") : link.client_id())
                                     << " (" << (link.conn_ ? link.conn_->peer().address : "") << "): " << ec.message());
    close_link(link, DisconnectReason::protocol_error);
}

Link* BrokerCore::live_link(std::string_view client_id) const {
    const SessionState* s = sessions_->find(client_id);
    return s ? s->link : nullptr;
}

// --- Link: every entry takes the broker lock ---

void Link::packet(Packet&& p) {
    {
        BrokerCore::Op op(core_);
        if (state_ == State::closing || state_ == State::closed) return;  // [MQTT-3.1.4-5]
        if (state_ == State::verifying) return core_.hold(*this, std::move(p));
        if (state_ != State::awaiting_connect || !std::holds_alternative<Connect>(p))
            return core_.on_packet(*this, std::move(p));
    }
    // Credentials are checked outside the broker lock, the password hash off
    // this thread: neither may stall other clients.
    core_.verify(*this, std::move(std::get<Connect>(p)));
}

void Link::malformed(std::error_code ec) {
    BrokerCore::Op op(core_);
    if (state_ == State::closing || state_ == State::closed) return;
    core_.protocol_error(*this, ec);
}

void Link::closed(DisconnectReason reason) {
    BrokerCore::Op op(core_);
    core_.on_closed(*this, close_reason_.value_or(reason));
}

}  // namespace mqgate::mqtt
