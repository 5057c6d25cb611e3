// CONNECT, DISCONNECT, takeover and the end of a connection (§3.1, §3.14).
#include <random>

#include "mqtt/broker_core.hpp"
#include "mqtt/topic.hpp"
#include "support/log.hpp"

namespace mqgate::mqtt {
namespace {

// client.auth_failed's reason.
const char* to_string(ConnectReturn code) noexcept {
    switch (code) {
        case ConnectReturn::server_unavailable: return "server_unavailable";
        case ConnectReturn::bad_username_or_password: return "bad_username_or_password";
        case ConnectReturn::not_authorized: return "not_authorized";
        default: return "refused";
    }
}

void reject(BrokerCore& core, Link& link, ConnectReturn code) {
    // [MQTT-3.2.2-5]: a non-zero CONNACK is followed by closing the connection.
    core.send(link, Connack{false, code});
    core.close_link(link, DisconnectReason::connect_rejected);
}

}  // namespace

void BrokerCore::on_packet(Link& link, Packet&& p) {
    if (link.state_ == Link::State::awaiting_connect) {
        return protocol_error(link, Errc::first_packet_not_connect);  // [MQTT-3.1.0-1]
    }
    switch (type_of(p)) {
        case PacketType::publish: return on_publish(link, std::move(std::get<Publish>(p)));
        case PacketType::puback: return on_puback(link, std::get<Puback>(p).packet_id);
        case PacketType::pubrec: return on_pubrec(link, std::get<Pubrec>(p).packet_id);
        case PacketType::pubrel: return on_pubrel(link, std::get<Pubrel>(p).packet_id);
        case PacketType::pubcomp: return on_pubcomp(link, std::get<Pubcomp>(p).packet_id);
        case PacketType::subscribe: return on_subscribe(link, std::move(std::get<Subscribe>(p)));
        case PacketType::unsubscribe: return on_unsubscribe(link, std::move(std::get<Unsubscribe>(p)));
        case PacketType::pingreq: return send(link, Pingresp{});
        case PacketType::disconnect:
            // A clean end: the will is discarded [MQTT-3.1.2-10].
            link.drop_will();
            return close_link(link, DisconnectReason::normal);
        case PacketType::connect: return protocol_error(link, Errc::second_connect);  // [MQTT-3.1.0-2]
        default: return protocol_error(link, Errc::unexpected_packet_type);
    }
}

void BrokerCore::on_connect(Link& link, Connect&& c, ConnectReturn auth, std::string identity) {
    const BrokerLimits& lim = options_.limits;
    if (c.protocol_name != "MQTT" || c.protocol_level != 4) {
        // MQTT 3.1 ("MQIsdp") and MQTT 5 clients understand 0x01 and can fall back.
        return reject(*this, link, ConnectReturn::unacceptable_protocol_version);  // [MQTT-3.1.2-2]
    }
    if (c.client_id.empty() && !c.clean_session) {
        return reject(*this, link, ConnectReturn::identifier_rejected);  // [MQTT-3.1.3-8]
    }
    if (c.client_id.size() > lim.max_client_id_length) {
        return reject(*this, link, ConnectReturn::identifier_rejected);  // [MQTT-3.1.3-9]
    }
    const auto max_ka = lim.max_keepalive.count();
    if (max_ka > 0 && (c.keepalive == 0 || c.keepalive > max_ka)) {
        // 3.1.1 cannot tell a client to use another keepalive: refuse, as Mosquitto does.
        return reject(*this, link, ConnectReturn::identifier_rejected);
    }
    if (c.will && topic_levels(c.will->topic) > lim.max_topic_levels) {
        return protocol_error(link, Errc::too_many_topic_levels);
    }
    if (c.will && is_sys_topic(c.will->topic)) {
        // POLICY: a will could never be published there (only the broker
        // writes $SYS): refused now, so the client learns it, rather than
        // dropped silently when the client goes.
        ++stats_.publish_denied;
        return reject(*this, link, ConnectReturn::not_authorized);
    }
    if (auth != ConnectReturn::accepted) {
        LOG_INFO("connection from " << link.conn_->peer().address << " refused: code " << static_cast<int>(auth)
                                    << " (client id '" << c.client_id << "')");
        auto ev = event_for(link, EventType::client_auth_failed);
        ev.client_id = c.client_id;
        ev.username = c.username.value_or("");
        ev.keepalive = c.keepalive;
        ev.clean_session = c.clean_session;
        ev.reason = to_string(auth);
        emit(std::move(ev));
        return reject(*this, link, auth);
    }
    if (c.client_id.empty()) {
        // [MQTT-3.1.3-6]: assign a unique identifier.
        static thread_local std::mt19937_64 rng{std::random_device{}()};
        do {
            c.client_id = "mqgate-" + std::to_string(next_client_number_++) + "-" + std::to_string(rng() % 1000000);
        } while (sessions_->find(c.client_id));  // a connected client has a session too
    }

    // Takeover [MQTT-3.1.4-2]: the existing connection is closed; it did not
    // send DISCONNECT, so its will is published.
    if (Link* taken = live_link(c.client_id)) {
        Link& old = *taken;
        LOG_INFO("client '" << c.client_id << "' taken over by a new connection");
        publish_will(old);
        auto ev = event_for(old, EventType::client_disconnected);  // while it still has its session's id
        ev.reason = to_string(DisconnectReason::takeover);
        const bool old_clean = old.clean_session_;
        SessionState& old_session = *old.session_;
        old_session.link = nullptr;
        old.session_ = nullptr;
        --connected_;
        emit(std::move(ev));
        close_link(old, DisconnectReason::takeover);
        if (old_clean) discard_session(old_session);
    }

    SessionState* session = sessions_->find(c.client_id);
    bool session_present = false;
    if (session && (c.clean_session || session->clean_session)) {
        discard_session(*session);
        session = nullptr;
    }
    if (session) {
        session_present = true;  // [MQTT-3.2.2-2]
    } else {
        session = &sessions_->create(c.client_id);
        session->clean_session = c.clean_session;
        if (persistent(*session)) persist_->put_session(session->client_id);
    }

    link.state_ = Link::State::connected;
    link.set_extras(std::move(identity), std::move(c.will));
    link.clean_session_ = c.clean_session;
    link.keepalive_ = c.keepalive;
    link.session_ = session;
    session->link = &link;

    forget_disconnected(c.client_id);
    session->status = ClientStatus{now_ms(), 0, nullptr};

    ++stats_.connections_total;
    if (++connected_ > stats_.clients_maximum) stats_.clients_maximum = connected_;

    // With durable storage, a new persistent session is on disk before the client learns of it.
    send(link, Connack{session_present, ConnectReturn::accepted});
    link.conn_->set_keepalive(std::chrono::seconds(c.keepalive));
    emit(event_for(link, EventType::client_connected));
    LOG_DEBUG("client '" << link.client_id() << "' connected from " << link.conn_->peer().address << ":" << link.conn_->peer().port
                         << " clean=" << c.clean_session << " keepalive=" << c.keepalive);

    // [MQTT-4.4.0-1]: resend what was in flight, with the original ids, then
    // whatever queued while the client was away.
    resend_inflight(link, *session);
    pump_queue(link, *session);
}

void BrokerCore::on_closed(Link& link, DisconnectReason reason) {
    link.state_ = Link::State::closed;
    // An answer still on its way finds no entry and never touches the link.
    std::erase_if(verifying_, [&link](const auto& entry) { return entry.second.link == &link; });
    link.attached_.unlink();
    SessionState* session = link.session_;
    if (session) {
        // Detached before the will goes out: a closing client subscribed to
        // its own will topic gets it queued in its session (or not at all,
        // with clean session), never written to the transport that just closed.
        session->link = nullptr;
        if (reason != DisconnectReason::normal && reason != DisconnectReason::server_shutdown) publish_will(link);
        auto ev = event_for(link, EventType::client_disconnected);
        ev.reason = to_string(reason);
        emit(std::move(ev));
        LOG_DEBUG("client '" << session->client_id << "' disconnected: " << to_string(reason));
        link.session_ = nullptr;
        --connected_;
        session->status.disconnected_at_ms = now_ms();
        session->status.departure = std::make_unique<Departure>(Departure{
            std::string(link.username()), link.conn_ ? link.conn_->peer() : PeerInfo{}, link.keepalive_, to_string(reason)});
        if (session->clean_session) discard_session(*session);  // [MQTT-3.1.2-6]
    }
    link.conn_.reset();
}

void BrokerCore::publish_will(Link& link) {
    const std::unique_ptr<Will> taken = link.take_will();
    if (!taken) return;
    Will& will = *taken;
    if (!auth_->authorize(link.username(), link.client_id(), will.topic, Access::write)) {
        ++stats_.publish_denied;
        return;
    }
    auto ev = event_for(link, EventType::will_published);
    ev.topic = will.topic;
    ev.payload = will.payload;
    ev.qos = will.qos;
    ev.retain = will.retain;
    ++stats_.messages_received;
    route(make_message(std::move(will.topic), std::move(will.payload), will.qos, will.retain,
                       std::string(link.client_id())));
    emit(std::move(ev));
}

void BrokerCore::discard_session(SessionState& s) {
    for (const auto& [filter, qos] : s.subscriptions) subscriptions_.erase(filter, &s);
    const std::string id(s.client_id);  // a copy: the session's own goes with it in erase()
    if (persistent(s)) persist_->erase_session(id);
    // The status outlives the session, bounded by remember_disconnected().
    ClientRecord record{s.clean_session, std::move(s.status), {}, s.dropped, s.messages_in, s.messages_out};
    sessions_->erase(id);
    remember_disconnected(id, std::move(record));
}

void BrokerCore::remember_disconnected(const std::string& client_id, ClientRecord record) {
    // Departed clean clients keep their status record for the API, bounded:
    // the oldest records go first. A client that connected again since has
    // its status in its session and no record here.
    forget_disconnected(client_id);
    departed_.push_back(client_id);
    record.departed = std::prev(departed_.end());
    records_.emplace(client_id, std::move(record));
    while (departed_.size() > options_.limits.max_disconnected_records) {
        records_.erase(departed_.front());
        departed_.pop_front();
    }
}

void BrokerCore::forget_disconnected(const std::string& client_id) {
    const auto it = records_.find(client_id);
    if (it == records_.end()) return;
    departed_.erase(it->second.departed);
    records_.erase(it);
}

}  // namespace mqgate::mqtt
