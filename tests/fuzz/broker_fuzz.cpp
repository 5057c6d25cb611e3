// The broker core fed random packet sequences from several fake connections
// (CONNECT, SUBSCRIBE, PUBLISH at every QoS, acks in and out of order,
// DISCONNECT, takeover, transport closes, API calls), with a fake clock.
// Every packet goes through the encoder and the decoder first, as a
// transport would deliver it. After each step: in-flight windows, queues and
// their byte counts within limits, no packet id outstanding twice on a
// connection, the retained store agrees with itself and with the stats.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "mqtt/broker.hpp"
#include "mqtt/codec.hpp"
#include "mqtt/topic.hpp"
#include "support/log.hpp"
#include "tests/fuzz/fuzz_support.hpp"
#include "tests/fuzz/retained_scan.hpp"

using namespace mqgate::mqtt;

namespace {

constexpr std::size_t max_inflight = 2;
constexpr std::size_t max_queued = 3;
constexpr std::size_t max_queued_bytes = 64;
constexpr std::size_t max_awaiting_rel = 3;

class FakeConnection final : public Connection {
public:
    void send(Frame frame) override {
        FUZZ_CHECK(!closed);  // nothing is written to a connection the transport reported closed
        std::string bytes = frame.head;
        if (frame.payload_of) bytes += frame.payload_of->payload;
        decoder.feed(bytes);
        for (;;) {
            Packet p;
            std::error_code ec;
            const auto st = decoder.next(p, ec);
            FUZZ_CHECK(st != Decoder::Status::error);  // the broker only sends well-formed packets
            if (st == Decoder::Status::need_more) break;
            received(std::move(p));
        }
    }
    void close(DisconnectReason why) override {
        if (!close_reason) close_reason = why;
    }
    void set_keepalive(std::chrono::seconds) override {}
    std::size_t buffered_bytes() const noexcept override { return buffered; }
    PeerInfo peer() const override { return {"127.0.0.1", 5555, 1883, "mqtt", ""}; }

    void received(Packet&& p) {
        if (auto* pub = std::get_if<Publish>(&p)) {
            FUZZ_CHECK(validate_topic_name(pub->topic) == std::error_code{});
            if (pub->qos > 0) {
                // A new message never reuses an id still unacknowledged here [MQTT-2.3.1-2].
                const bool fresh = outstanding.emplace(pub->packet_id, pub->qos).second;
                FUZZ_CHECK(fresh || pub->dup);
            }
        } else if (auto* rel = std::get_if<Pubrel>(&p)) {
            released.insert(rel->packet_id);
        }
        ++packets;
    }

    std::optional<DisconnectReason> close_reason;
    bool closed = false;
    std::size_t buffered = 0;
    std::size_t packets = 0;
    Decoder decoder;
    std::map<std::uint16_t, std::uint8_t> outstanding;  // id -> QoS of PUBLISHes received, not fully acked
    std::set<std::uint16_t> released;                   // PUBREL received, PUBCOMP not yet sent
};

// Delegates to the memory store and remembers it, so every session can be
// inspected between steps.
struct Fixture {
    std::chrono::system_clock::time_point now{std::chrono::seconds(1'700'000'000)};
    std::shared_ptr<SessionStore> sessions = make_memory_session_store();
    std::shared_ptr<RetainedStore> retained = make_memory_retained_store();
    Broker broker;

    Fixture() : broker(options(), nullptr, retained, sessions, [this] { return now; }) {}

    static BrokerOptions options() {
        BrokerOptions o;
        o.limits.max_inflight = max_inflight;
        o.limits.max_queued_messages = max_queued;
        o.limits.max_queued_bytes = max_queued_bytes;
        o.limits.max_awaiting_rel = max_awaiting_rel;
        o.limits.max_topic_levels = 4;
        o.limits.max_subscriptions_per_session = 4;
        o.limits.max_client_id_length = 8;
        o.limits.max_outbound_buffer = 100;
        o.limits.max_disconnected_records = 2;
        o.limits.await_rel_timeout = std::chrono::seconds(10);
        return o;
    }
};

struct Client {
    std::shared_ptr<FakeConnection> conn;
    std::shared_ptr<ClientLink> link;
};

// Names use the first four parts, filters all of them.
std::string pick_topic(FuzzedDataProvider& in, bool filter) {
    static constexpr std::string_view parts[] = {"a", "b", "$SYS", "", "+", "#"};
    return mqgate::fuzz::pick_levels(in, std::span(parts).first(filter ? 6 : 4));
}

std::uint16_t pick_id(FuzzedDataProvider& in, const FakeConnection& c) {
    if (!c.outstanding.empty() && in.ConsumeBool()) {
        auto it = c.outstanding.begin();
        std::advance(it, in.ConsumeIntegralInRange<std::size_t>(0, c.outstanding.size() - 1));
        return it->first;
    }
    return in.ConsumeIntegralInRange<std::uint16_t>(0, 5);
}

Packet make_packet(FuzzedDataProvider& in, FakeConnection& c) {
    switch (in.ConsumeIntegralInRange<int>(0, 9)) {
    case 0: {
        Connect p;
        p.client_id = "c" + std::to_string(in.ConsumeIntegralInRange<int>(0, 3));
        if (in.ConsumeIntegralInRange<int>(0, 7) == 0) p.client_id = in.ConsumeBool() ? "" : "long-client-id";
        p.clean_session = in.ConsumeBool();
        p.keepalive = in.ConsumeIntegral<std::uint8_t>();
        if (in.ConsumeBool()) p.will = Will{pick_topic(in, false), in.ConsumeRandomLengthString(8),
                                            in.ConsumeIntegralInRange<std::uint8_t>(0, 2), in.ConsumeBool()};
        if (in.ConsumeBool()) p.username = "u";
        if (in.ConsumeIntegralInRange<int>(0, 15) == 0) p.protocol_level = 3;
        return p;
    }
    case 1: {
        Subscribe p{in.ConsumeIntegralInRange<std::uint16_t>(1, 3), {}};
        const auto n = in.ConsumeIntegralInRange<int>(1, 3);
        for (int i = 0; i < n; ++i) p.subscriptions.push_back({pick_topic(in, true), in.ConsumeIntegralInRange<std::uint8_t>(0, 2)});
        return p;
    }
    case 2: {
        Unsubscribe p{in.ConsumeIntegralInRange<std::uint16_t>(1, 3), {}};
        const auto n = in.ConsumeIntegralInRange<int>(1, 2);
        for (int i = 0; i < n; ++i) p.filters.push_back(pick_topic(in, true));
        return p;
    }
    case 3:
    case 4: {
        Publish p;
        p.qos = in.ConsumeIntegralInRange<std::uint8_t>(0, 2);
        p.dup = p.qos > 0 && in.ConsumeBool();
        p.retain = in.ConsumeBool();
        p.topic = pick_topic(in, false);
        p.packet_id = p.qos ? in.ConsumeIntegralInRange<std::uint16_t>(1, 5) : 0;
        p.payload = in.ConsumeRandomLengthString(40);
        return p;
    }
    case 5: {
        const auto id = pick_id(in, c);
        // Acknowledge with what the message's QoS asks for, mostly.
        const auto it = c.outstanding.find(id);
        if (it != c.outstanding.end() && in.ConsumeIntegralInRange<int>(0, 3) != 0) {
            if (it->second == 1) {
                c.outstanding.erase(it);
                return Puback{id};
            }
            return Pubrec{id};
        }
        return in.ConsumeBool() ? Packet{Puback{id}} : Packet{Pubrec{id}};
    }
    case 6: {
        const auto id = in.ConsumeIntegralInRange<std::uint16_t>(0, 5);
        if (c.released.erase(id)) c.outstanding.erase(id);
        return in.ConsumeBool() ? Packet{Pubcomp{id}} : Packet{Pubrel{id}};
    }
    case 7:
        return Pingreq{};
    case 8:
        return Disconnect{};
    default: {
        // A client-bound packet a client must not send.
        return in.ConsumeBool() ? Packet{Connack{}} : Packet{Suback{1, {0}}};
    }
    }
}

// Through the codec, as a transport would: what does not decode is malformed.
void deliver(Client& c, const Packet& p) {
    std::string wire;
    encode(p, wire);
    Decoder decoder;
    decoder.feed(wire);
    Packet decoded;
    std::error_code ec;
    const auto st = decoder.next(decoded, ec);
    if (st == Decoder::Status::error) {
        c.link->malformed(ec);
    } else {
        FUZZ_CHECK(st == Decoder::Status::packet);
        c.link->packet(std::move(decoded));
    }
}

void finish(Client& c, DisconnectReason why) {
    if (!c.conn || c.conn->closed) return;
    c.conn->closed = true;
    c.link->closed(c.conn->close_reason.value_or(why));
}

void check_invariants(Fixture& f, const std::array<Client, 4>& clients) {
    std::size_t inflight = 0, queued = 0;
    f.sessions->for_each([&](SessionState& s) {
        FUZZ_CHECK(s.inflight.size() <= max_inflight);
        FUZZ_CHECK(s.queue.size() <= max_queued);
        std::size_t bytes = 0;
        for (const auto& q : s.queue) bytes += q.message->payload.size();
        FUZZ_CHECK(bytes == s.queued_bytes);
        FUZZ_CHECK(s.queued_bytes <= max_queued_bytes);
        std::set<std::uint16_t> ids;
        for (const auto& m : s.inflight) {
            FUZZ_CHECK(m.packet_id != 0 && ids.insert(m.packet_id).second);
            FUZZ_CHECK(m.qos == 1 || m.qos == 2);
            FUZZ_CHECK(!m.released || m.qos == 2);
        }
        if (s.awaiting_rel) FUZZ_CHECK(s.awaiting_rel->size() <= max_awaiting_rel);
        FUZZ_CHECK(s.subscriptions.size() <= 4);
        inflight += s.inflight.size();
        queued += s.queue.size();
    });
    const auto stats = f.broker.stats();
    FUZZ_CHECK(stats.inflight == inflight);
    FUZZ_CHECK(stats.queued == queued);
    FUZZ_CHECK(stats.sessions == f.sessions->size());
    FUZZ_CHECK(stats.retained == f.retained->size());
    std::size_t live = 0;
    for (const auto& c : clients) live += c.conn && !c.conn->closed;
    FUZZ_CHECK(stats.clients_connected <= live);
    // Every retained message is found under its own topic, non-empty.
    std::size_t seen = 0;
    for (const char* filter : {"#", "$SYS/#", "+/#"}) {
        mqgate::fuzz::scan_all(*f.retained, filter, 64, [&](const MessagePtr& m) {
            FUZZ_CHECK(!m->payload.empty());
            FUZZ_CHECK(f.retained->get(m->topic) == m);
            seen += filter[0] != '+';
        });
    }
    FUZZ_CHECK(seen == f.retained->size());
}

}  // namespace

// The broker's warnings about bad clients would flood the output.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
    mqgate::log::set_level(mqgate::log::Level::off);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    Fixture f;
    std::array<Client, 4> clients;
    std::vector<std::uint64_t> internal;
    for (int steps = 0; in.remaining_bytes() > 0 && steps < 400; ++steps) {
        auto& c = clients[in.ConsumeIntegralInRange<std::size_t>(0, clients.size() - 1)];
        if (!c.conn || c.conn->closed) {
            c.conn = std::make_shared<FakeConnection>();
            c.link = f.broker.attach(c.conn);
        }
        switch (in.ConsumeIntegralInRange<int>(0, 15)) {
        case 0:  // the transport reports the close the broker asked for, or a network error
            finish(c, DisconnectReason::network_error);
            break;
        case 1:
            c.link->malformed(Errc::malformed_length);
            break;
        case 2:  // housekeeping after a while
            f.now += std::chrono::seconds(in.ConsumeIntegralInRange<int>(0, 20));
            f.broker.tick();
            break;
        case 3:  // a slow consumer, or a drained one
            c.conn->buffered = in.ConsumeBool() ? 1000 : 0;
            break;
        case 4: {
            const auto r = f.broker.publish(pick_topic(in, false), in.ConsumeRandomLengthString(8),
                                            in.ConsumeIntegralInRange<std::uint8_t>(0, 3), in.ConsumeBool());
            (void)r;
            break;
        }
        case 5:
            if (in.ConsumeBool() || internal.empty()) {
                internal.push_back(f.broker.subscribe(pick_topic(in, true), [](const MessagePtr&) {}));
            } else {
                f.broker.unsubscribe(internal[in.ConsumeIntegralInRange<std::size_t>(0, internal.size() - 1)]);
            }
            break;
        case 6:
            f.broker.kick("c" + std::to_string(in.ConsumeIntegralInRange<int>(0, 3)));
            break;
        case 7:
            f.broker.retained_delete(pick_topic(in, false));
            break;
        default:
            // A closing connection delivers nothing more.
            if (!c.conn->close_reason) deliver(c, make_packet(in, *c.conn));
            break;
        }
        check_invariants(f, clients);
    }
    f.broker.clients();
    f.broker.subscriptions();
    for (auto& c : clients) finish(c, DisconnectReason::network_error);
    check_invariants(f, clients);
    FUZZ_CHECK(f.broker.stats().clients_connected == 0);
    return 0;
}
