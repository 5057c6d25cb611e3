#include "bridge/client.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include "mqtt/codec.hpp"
#include "mqtt/topic.hpp"
#include "store/queue_scan.hpp"
#include "support/backoff.hpp"
#include "support/log.hpp"

namespace mqgate::bridge {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// QoS 1/2 messages sent and not yet acknowledged, at most: enough to keep a
// link busy without holding more than a window in doubt across a reconnect.
constexpr std::size_t window = 32;
// TCP connect, TLS handshake and CONNACK, together.
constexpr std::chrono::seconds connect_timeout{10};
// The largest packet taken from the upstream (a PUBLISH with its payload).
constexpr std::size_t max_packet = 16 << 20;
constexpr std::uint8_t private_level = 0x84;  // 3.1.1 with the bridge bit (Mosquitto's try_private)

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

const char* connack_text(mqtt::ConnectReturn code) {
    switch (code) {
        case mqtt::ConnectReturn::accepted: return "accepted";
        case mqtt::ConnectReturn::unacceptable_protocol_version: return "unacceptable protocol version";
        case mqtt::ConnectReturn::identifier_rejected: return "client id rejected";
        case mqtt::ConnectReturn::server_unavailable: return "server unavailable";
        case mqtt::ConnectReturn::bad_username_or_password: return "bad username or password";
        case mqtt::ConnectReturn::not_authorized: return "not authorized";
    }
    return "unknown";
}

}  // namespace

const char* to_string(State s) noexcept {
    switch (s) {
        case State::connecting: return "connecting";
        case State::connected: return "connected";
        case State::backing_off: return "backing_off";
        case State::stopped: return "stopped";
    }
    return "unknown";
}

struct BridgeClient::Link {
    Link(asio::io_context& io, asio::ssl::context* tls) {
        if (tls) tls_stream.emplace(io, *tls);
        else tcp_socket.emplace(io);
    }
    tcp::socket& socket() { return tls_stream ? tls_stream->next_layer() : *tcp_socket; }
    template <class F>
    void with_stream(F&& f) {
        if (tls_stream) f(*tls_stream);
        else f(*tcp_socket);
    }

    std::optional<tcp::socket> tcp_socket;
    std::optional<asio::ssl::stream<tcp::socket>> tls_stream;
    mqtt::Decoder decoder{max_packet};
    std::array<char, 16 * 1024> read_buffer{};
    // Frames wait here until written: one write in flight, its buffer the front.
    std::deque<std::string> writes;
    bool writing = false;
    bool transport_up = false;  // TCP (and TLS) established: a close before CONNACK may be a refused level 0x84
    // PUBACKs and PUBRECs of upstream messages, in the order the PUBLISHes came [MQTT-4.6.0-2, -3], each
    // sent once the local publish is durable (acknowledged means stored); acks_front numbers the first.
    struct PendingAck {
        mqtt::Packet ack;
        bool ready = false;
        std::error_code error;
    };
    std::deque<PendingAck> acks;
    std::uint64_t acks_front = 0;
};

BridgeClient::BridgeClient(config::BridgeOptions options, std::string client_id, mqtt::Broker& broker,
                           asio::io_context& io, std::shared_ptr<asio::ssl::context> tls,
                           std::shared_ptr<store::Store> store, std::shared_ptr<mqtt::Authorizer> auth)
    : options_(std::move(options)),
      client_id_(std::move(client_id)),
      tag_("bridge:" + options_.name),
      routes_(make_routes(options_.topics)),
      broker_(broker),
      io_(io),
      tls_(std::move(tls)),
      store_(std::move(store)),
      auth_(std::move(auth)),
      resolver_(io),
      timer_(io),
      retry_timer_(io),
      queue_(options_.queue_max_messages, options_.queue_max_bytes),
      private_(options_.try_private),
      random_(std::random_device{}()) {}

void BridgeClient::restore() {
    if (!store_) return;
    std::size_t restored = 0;
    store::for_each_queue_item(*store_, queue_name(), [&](const store::QueueItem& stored) {
        auto item = from_stored(stored.data, stored.seq);
        if (!item) {
            LOG_WARN("bridge '" << options_.name << "': stored message " << stored.seq << " is unreadable; removed");
            return store_remove(stored.seq);
        }
        ++restored;
        queue_.push(std::move(*item), [this](const Outgoing& dropped) { store_remove(dropped.seq); });
    });
    if (restored) LOG_INFO("bridge '" << options_.name << "': " << restored << " message(s) waiting to go upstream, from the store");
    update([&](BridgeStatus& s) {
        s.queued = queue_.size();
        s.queued_bytes = queue_.bytes();
    });
}

void BridgeClient::store_remove(std::uint64_t seq) {
    if (!store_ || seq == 0) return;
    store::Batch batch;
    batch.add(store::op::Remove{queue_name(), seq});
    if (store_->submit(std::move(batch), [](std::error_code) noexcept {})) update([](BridgeStatus& s) { ++s.store_errors; });
}

std::size_t BridgeClient::discard_stored() {
    if (!store_) return 0;
    store::Batch batch;
    std::size_t n = 0;
    store::for_each_queue_item(*store_, queue_name(), [&](const store::QueueItem& stored) {
        batch.add(store::op::Remove{queue_name(), stored.seq});
        ++n;
    });
    // One write for them all; one the store refuses stays behind, as before this existed.
    if (n && store_->submit(std::move(batch), [](std::error_code) noexcept {}))
        update([](BridgeStatus& s) { ++s.store_errors; });
    return n;
}

void BridgeClient::start() {
    std::vector<std::string> filters;
    for (const auto& route : routes_)
        if (route.out() && std::find(filters.begin(), filters.end(), route.local_filter) == filters.end())
            filters.push_back(route.local_filter);
    std::lock_guard lock(subscriptions_mutex_);
    for (std::size_t i = 0; i < filters.size(); ++i) {
        subscriptions_.push_back(broker_.subscribe_staged(
            filters[i],
            [weak = weak_from_this(), filters, i, tag = tag_](const mqtt::MessagePtr& m,
                                                             store::Batch* batch) -> std::function<void()> {
                if (m->tag() == tag) return {};  // it came from this bridge's upstream: never sent back
                // A message matching several filters is offered once: by the first of them.
                for (std::size_t j = 0; j < i; ++j)
                    if (mqtt::topic_matches(filters[j], m->topic)) return {};
                auto self = weak.lock();
                return self ? self->stage(m, batch) : nullptr;
            },
            true));  // relays: a device request to a device behind the upstream finds its subscriber here
    }
    asio::post(io_, [self = shared_from_this()] { self->connect(); });
}

void BridgeClient::stop() {
    stopping_.store(true);
    {
        std::lock_guard lock(subscriptions_mutex_);
        for (const auto id : subscriptions_) broker_.unsubscribe(id);
        subscriptions_.clear();
    }
    asio::post(io_, [self = shared_from_this()] { self->disconnect(); });
}

BridgeStatus BridgeClient::status() const {
    std::lock_guard lock(status_mutex_);
    return status_;
}

bool BridgeClient::allowed(std::string_view local_topic, mqtt::Access access) {
    if (!auth_ || auth_->authorize(options_.local_username, client_id_, local_topic, access)) return true;
    bool first = false;
    update([&](BridgeStatus& s) { first = s.denied++ == 0; });
    if (first)
        LOG_WARN("bridge '" << options_.name << "': the ACL keeps '" << local_topic << "' from crossing "
                            << (access == mqtt::Access::read ? "out" : "in") << " (local_username '"
                            << options_.local_username << "'); counted in denied, logged once");
    return false;
}

std::function<void()> BridgeClient::stage(const mqtt::MessagePtr& message, store::Batch* batch) {
    if (stopping_.load()) return {};
    auto crossing = outbound(routes_, message->topic);
    if (!crossing || !allowed(message->topic, mqtt::Access::read)) return {};
    const std::uint8_t qos = std::min(message->qos, crossing->qos);
    Outgoing item{std::move(crossing->topic), message, qos, message->retain};
    // QoS 0 promises nothing: only QoS 1/2 messages are written to the store.
    if (batch && qos > 0) {
        item.seq = store_->next_id();
        batch->add(store::op::Append{queue_name(), store::QueueItem{item.seq, stored_form(item)}});
    }
    return [self = shared_from_this(), item = std::move(item)]() mutable {
        asio::post(self->io_, [self, item = std::move(item)]() mutable { self->offer(std::move(item)); });
    };
}

void BridgeClient::offer(Outgoing item) {
    // Stopping: a stored message waits in the store for the next start (SIGHUP's new client, a restart).
    if (stopped_ || stopping_.load()) return;
    if (item.seq) update([](BridgeStatus& s) { ++s.stored; });
    const std::size_t dropped =
        queue_.push(std::move(item), [this](const Outgoing& gone) { store_remove(gone.seq); });
    if (dropped) {
        bool first = false;
        update([&](BridgeStatus& s) {
            first = s.dropped == 0;
            s.dropped += dropped;
        });
        if (first)
            LOG_WARN("bridge '" << options_.name << "': queue over queue.max_messages / max_bytes: oldest waiting "
                                   "messages dropped (counted, logged once)");
    }
    if (connected_) pump(link_);
    update([&](BridgeStatus& s) {
        s.queued = queue_.size();
        s.queued_bytes = queue_.bytes();
    });
}

void BridgeClient::connect() {
    if (stopped_) return;
    const auto& address = options_.addresses[address_index_];
    auto link = link_ = std::make_shared<Link>(io_, tls_.get());
    update([&](BridgeStatus& s) {
        s.state = State::connecting;
        s.address = address.text();
        s.retry_at_ms = 0;
    });
    timer_.expires_after(connect_timeout);
    timer_.async_wait([self = shared_from_this(), link](const boost::system::error_code& ec) {
        if (!ec && !self->connected_) self->fail(link, "no CONNACK within " + std::to_string(connect_timeout.count()) + " s");
    });
    resolver_.async_resolve(address.host, std::to_string(address.port),
                            [self = shared_from_this(), link](const boost::system::error_code& ec,
                                                              const tcp::resolver::results_type& results) {
        if (link != self->link_) return;
        if (ec) return self->fail(link, "resolve: " + ec.message());
        asio::async_connect(link->socket(), results,
                            [self, link](const boost::system::error_code& ec, const tcp::endpoint&) {
            if (link != self->link_) return;
            if (ec) return self->fail(link, "connect: " + ec.message());
            boost::system::error_code ignored;
            link->socket().set_option(tcp::no_delay(true), ignored);
            if (!link->tls_stream) return self->on_transport(link);
            const auto& o = self->options_;
            const std::string name = o.tls_server_name.empty() ? o.addresses[self->address_index_].host : o.tls_server_name;
            SSL_set_tlsext_host_name(link->tls_stream->native_handle(), name.c_str());
            if (o.tls_verify) {
                link->tls_stream->set_verify_mode(asio::ssl::verify_peer);
                link->tls_stream->set_verify_callback(asio::ssl::host_name_verification(name));
            } else {
                link->tls_stream->set_verify_mode(asio::ssl::verify_none);
            }
            link->tls_stream->async_handshake(asio::ssl::stream_base::client,
                                              [self, link](const boost::system::error_code& ec) {
                if (link != self->link_) return;
                if (ec) return self->fail(link, "tls handshake: " + ec.message());
                self->on_transport(link);
            });
        });
    });
}

void BridgeClient::on_transport(const LinkPtr& link) {
    link->transport_up = true;
    mqtt::Connect c;
    c.protocol_level = private_ ? private_level : 4;
    c.clean_session = options_.clean_session;
    c.keepalive = options_.keepalive;
    c.client_id = client_id_;
    if (!options_.username.empty()) c.username = options_.username;
    if (!options_.password.empty()) c.password = options_.password;
    send(link, c);
    read(link);
}

void BridgeClient::read(const LinkPtr& link) {
    link->with_stream([&](auto& stream) {
        stream.async_read_some(asio::buffer(link->read_buffer), [self = shared_from_this(), link](
                                                                    const boost::system::error_code& ec, std::size_t n) {
            if (link != self->link_ || self->stopping_.load()) return;
            if (ec) {
                return self->fail(link, ec == asio::error::eof ? std::string("closed by the upstream")
                                                               : "read: " + ec.message());
            }
            std::string_view input(link->read_buffer.data(), n);
            // Bounded: each round consumes a packet from what this read brought.
            for (;;) {
                mqtt::Packet packet;
                std::error_code error;
                const auto status = link->decoder.next(input, packet, error);
                if (status == mqtt::Decoder::Status::need_more) break;
                if (status == mqtt::Decoder::Status::error)
                    return self->fail(link, "malformed packet from the upstream: " + error.message());
                self->ping_outstanding_ = false;
                self->handle(link, std::move(packet));
                if (link != self->link_) return;
            }
            self->read(link);
        });
    });
}

void BridgeClient::handle(const LinkPtr& link, mqtt::Packet&& packet) {
    if (!connected_ && !std::holds_alternative<mqtt::Connack>(packet))
        return fail(link, std::string("a ") + mqtt::to_string(mqtt::type_of(packet)) + " before CONNACK");
    switch (mqtt::type_of(packet)) {
        case mqtt::PacketType::connack: return on_connack(link, std::get<mqtt::Connack>(packet));
        case mqtt::PacketType::publish: return on_publish(link, std::move(std::get<mqtt::Publish>(packet)));
        case mqtt::PacketType::puback: return on_acknowledged(link, std::get<mqtt::Puback>(packet).packet_id, 1);
        case mqtt::PacketType::pubcomp: return on_acknowledged(link, std::get<mqtt::Pubcomp>(packet).packet_id, 2);
        case mqtt::PacketType::pubrec: {
            const auto id = std::get<mqtt::Pubrec>(packet).packet_id;
            if (Outgoing* item = queue_.awaiting(id); item && item->qos == 2) item->released = true;
            return send(link, mqtt::Pubrel{id});  // for an unknown id too, so the upstream can finish
        }
        case mqtt::PacketType::pubrel: {
            const auto id = std::get<mqtt::Pubrel>(packet).packet_id;
            awaiting_rel_.erase(id);
            return send(link, mqtt::Pubcomp{id});
        }
        case mqtt::PacketType::suback: {
            const auto& codes = std::get<mqtt::Suback>(packet).return_codes;
            std::string refused;
            std::size_t i = 0;
            for (const auto& route : routes_) {
                if (!route.in()) continue;
                if (i < codes.size() && codes[i] == mqtt::suback_failure) refused += " " + route.remote_filter;
                ++i;
            }
            if (!refused.empty())
                LOG_WARN("bridge '" << options_.name << "': the upstream refused the subscription to" << refused);
            update([&](BridgeStatus& s) {
                s.state = State::connected;
                if (!refused.empty()) s.last_error = "subscription refused by the upstream:" + refused;
            });
            return;
        }
        case mqtt::PacketType::pingresp:
        case mqtt::PacketType::unsuback: return;
        default: return fail(link, std::string("unexpected ") + mqtt::to_string(mqtt::type_of(packet)) + " from the upstream");
    }
}

void BridgeClient::on_connack(const LinkPtr& link, const mqtt::Connack& connack) {
    if (connected_) return fail(link, "a second CONNACK");
    const auto code = static_cast<int>(connack.return_code);
    update([&](BridgeStatus& s) { s.connack_code = code; });
    if (connack.return_code == mqtt::ConnectReturn::unacceptable_protocol_version && private_) {
        LOG_INFO("bridge '" << options_.name << "': the upstream refused protocol level 0x84; asking with 3.1.1");
        private_ = false;
        link_.reset();
        boost::system::error_code ignored;
        link->socket().close(ignored);
        return connect();
    }
    if (connack.return_code != mqtt::ConnectReturn::accepted) {
        return fail(link, "CONNACK " + std::to_string(code) + ": " + connack_text(connack.return_code), true);
    }
    connected_ = true;
    failures_ = 0;
    const auto& address = options_.addresses[address_index_];
    LOG_INFO("bridge '" << options_.name << "': connected to " << address.text() << " as '" << client_id_ << "'"
                        << (connack.session_present ? " (session present)" : ""));
    mqtt::Subscribe subscribe;
    subscribe.packet_id = next_packet_id();
    for (const auto& route : routes_)
        if (route.in()) subscribe.subscriptions.push_back({route.remote_filter, route.topic.qos});
    // Shown connected once the upstream has the subscriptions too (SUBACK):
    // from then on, what is published upstream reaches this node.
    update([&](BridgeStatus& s) {
        s.state = subscribe.subscriptions.empty() ? State::connected : State::connecting;
        s.refused = false;
        s.connected_at_ms = now_ms();
    });
    if (!subscribe.subscriptions.empty()) send(link, subscribe);
    // What was sent and not acknowledged goes again first, in order [MQTT-4.4.0-1].
    queue_.for_each_awaiting([&](const Outgoing& item) {
        if (item.released) return send(link, mqtt::Pubrel{item.packet_id});
        std::string frame;
        mqtt::encode_publish_header(true, item.qos, item.retain, item.topic, item.packet_id, item.bytes(), frame);
        frame.append(item.message->payload);
        write(link, std::move(frame));
    });
    pump(link);
    keepalive(link);
}

void BridgeClient::on_publish(const LinkPtr& link, mqtt::Publish&& p) {
    // A QoS 2 message resent before our PUBREC arrived: published once already [MQTT-4.3.3-2]; its
    // PUBREC goes after the first one.
    if (p.qos == 2 && awaiting_rel_.contains(p.packet_id)) return acknowledge(link, mqtt::Pubrec{p.packet_id});
    std::optional<std::uint64_t> ack;
    if (p.qos == 1) ack = hold_ack(link, mqtt::Puback{p.packet_id});
    if (p.qos == 2) {
        awaiting_rel_.insert(p.packet_id);
        ack = hold_ack(link, mqtt::Pubrec{p.packet_id});
    }
    bool published = false;
    if (!private_ && echo_.echo(p.topic, p.payload, EchoFilter::Clock::now())) {
        update([](BridgeStatus& s) { ++s.echoes; });
    } else if (auto crossing = inbound(routes_, p.topic); crossing && allowed(crossing->topic, mqtt::Access::write)) {
        mqtt::Broker::StoredCallback stored;
        if (ack)
            stored = [self = shared_from_this(), link, n = *ack](std::error_code ec) {
                asio::post(self->io_, [self, link, n, ec] { self->ack_stored(link, n, ec); });
            };
        const auto result =
            broker_.publish(std::move(crossing->topic), std::move(p.payload), p.qos, p.retain, tag_, std::move(stored));
        if (result.error) {
            LOG_DEBUG("bridge '" << options_.name << "': message on '" << p.topic << "' not published locally: "
                                 << result.error.message());
        } else {
            published = true;
            update([](BridgeStatus& s) { ++s.forwarded_in; });
        }
    }
    if (ack && !published) ack_stored(link, *ack, {});  // nothing was written: nothing to wait for
}

std::uint64_t BridgeClient::hold_ack(const LinkPtr& link, mqtt::Packet ack) {
    link->acks.push_back({std::move(ack), false, {}});
    return link->acks_front + link->acks.size() - 1;
}

void BridgeClient::acknowledge(const LinkPtr& link, mqtt::Packet ack) { ack_stored(link, hold_ack(link, std::move(ack)), {}); }

void BridgeClient::ack_stored(const LinkPtr& link, std::uint64_t n, std::error_code ec) {
    if (link != link_ || n < link->acks_front) return;  // a connection that is gone: the upstream resends
    auto& pending = link->acks[n - link->acks_front];
    pending.ready = true;
    pending.error = ec;
    while (!link->acks.empty() && link->acks.front().ready) {
        auto front = std::move(link->acks.front());
        link->acks.pop_front();
        ++link->acks_front;
        if (front.error) {
            // Not acknowledged: the upstream sends it again on the next connection (clean_session false).
            if (const auto* rec = std::get_if<mqtt::Pubrec>(&front.ack)) awaiting_rel_.erase(rec->packet_id);
            return fail(link, "a message from the upstream could not be stored: " + front.error.message());
        }
        send(link, front.ack);
    }
}

void BridgeClient::on_acknowledged(const LinkPtr& link, std::uint16_t packet_id, std::uint8_t qos) {
    const Outgoing* item = queue_.awaiting(packet_id);
    if (!item) return;  // a late duplicate
    if (item->qos != qos || (qos == 2 && !item->released))
        return fail(link, "acknowledgement of the wrong kind for packet " + std::to_string(packet_id));
    store_remove(item->seq);
    queue_.acknowledged(packet_id);
    update([&](BridgeStatus& s) {
        ++s.forwarded_out;
        s.queued = queue_.size();
        s.queued_bytes = queue_.bytes();
    });
    pump(link);
}

std::uint16_t BridgeClient::next_packet_id() {
    // At most `window` ids are in use (and one SUBSCRIBE's), so this ends quickly.
    std::uint16_t id = 0;
    do {
        id = ++last_packet_id_;
        if (id == 0) id = last_packet_id_ = 1;
    } while (queue_.awaiting(id));
    return id;
}

void BridgeClient::pump(const LinkPtr& link) {
    std::uint64_t sent_qos0 = 0;
    while (Outgoing* item = queue_.next(window)) {
        const std::uint16_t id = item->qos > 0 ? next_packet_id() : 0;
        std::string frame;
        mqtt::encode_publish_header(false, item->qos, item->retain, item->topic, id, item->bytes(), frame);
        frame.append(item->message->payload);
        if (item->qos == 0) ++sent_qos0;
        // Without the bridge level the upstream sends it back to us if an `in` route subscribed to it.
        if (!private_ && inbound(routes_, item->topic))
            echo_.sent(item->topic, item->message->payload, EchoFilter::Clock::now());
        queue_.sent(id);
        write(link, std::move(frame));
    }
    update([&](BridgeStatus& s) {
        s.forwarded_out += sent_qos0;
        s.queued = queue_.size();
        s.queued_bytes = queue_.bytes();
    });
}

void BridgeClient::send(const LinkPtr& link, const mqtt::Packet& packet) {
    std::string frame;
    mqtt::encode(packet, frame);
    write(link, std::move(frame));
}

void BridgeClient::write(const LinkPtr& link, std::string frame) {
    link->writes.push_back(std::move(frame));
    if (!link->writing) write_next(link);
}

void BridgeClient::write_next(const LinkPtr& link) {
    if (link->writes.empty()) {
        link->writing = false;
        return;
    }
    link->writing = true;
    link->with_stream([&](auto& stream) {
        asio::async_write(stream, asio::buffer(link->writes.front()),
                          [self = shared_from_this(), link](const boost::system::error_code& ec, std::size_t) {
            if (link != self->link_) return;
            if (ec) return self->fail(link, "write: " + ec.message());
            link->writes.pop_front();
            self->write_next(link);
        });
    });
}

void BridgeClient::keepalive(const LinkPtr& link) {
    timer_.expires_after(std::chrono::seconds(options_.keepalive));
    timer_.async_wait([self = shared_from_this(), link](const boost::system::error_code& ec) {
        if (ec || link != self->link_) return;
        if (self->ping_outstanding_) return self->fail(link, "no PINGRESP within keepalive");
        self->ping_outstanding_ = true;
        self->send(link, mqtt::Pingreq{});
        self->keepalive(link);
    });
}

void BridgeClient::fail(const LinkPtr& link, std::string reason, bool refused) {
    if (link != link_ || stopped_) return;
    // A broker that does not know level 0x84 may close instead of answering
    // CONNACK 1: after a close before CONNACK, the next attempt uses the other level.
    if (!connected_ && link->transport_up && !refused && options_.try_private) private_ = !private_;
    boost::system::error_code ignored;
    link->socket().close(ignored);
    link_.reset();
    connected_ = false;
    ping_outstanding_ = false;
    timer_.cancel();
    const auto& failed = options_.addresses[address_index_];
    address_index_ = (address_index_ + 1) % options_.addresses.size();
    const auto delay = support::backoff_delay(++failures_, std::chrono::milliseconds(options_.reconnect_min_ms),
                                              std::chrono::milliseconds(options_.reconnect_max_ms), random_());
    LOG_WARN("bridge '" << options_.name << "': " << failed.text() << ": " << reason << "; next attempt in "
                        << delay.count() << " ms on " << options_.addresses[address_index_].text());
    update([&](BridgeStatus& s) {
        s.state = State::backing_off;
        s.last_error = failed.text() + ": " + reason;
        s.refused = refused;
        s.connected_at_ms = 0;
        s.retry_at_ms = now_ms() + delay.count();
        ++s.failures;
    });
    retry_timer_.expires_after(delay);
    retry_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (!ec) self->connect();
    });
}

void BridgeClient::disconnect() {
    if (stopped_) return;
    stopped_ = true;
    timer_.cancel();
    retry_timer_.cancel();
    resolver_.cancel();
    update([](BridgeStatus& s) { s.state = State::stopped; });
    if (!link_) return;
    auto link = std::move(link_);
    if (!connected_) {
        boost::system::error_code ignored;
        link->socket().close(ignored);
        return;
    }
    connected_ = false;
    // DISCONNECT, then close once everything queued before it is written.
    std::string frame;
    mqtt::encode(mqtt::Disconnect{}, frame);
    link->writes.push_back(std::move(frame));
    if (link->writing) return;  // the write in flight finds link_ changed and stops; the socket goes with the link
    link->with_stream([&](auto& stream) {
        asio::async_write(stream, asio::buffer(link->writes.front()),
                          [link](const boost::system::error_code&, std::size_t) {
            boost::system::error_code ignored;
            link->socket().close(ignored);
        });
    });
}

}  // namespace mqgate::bridge
