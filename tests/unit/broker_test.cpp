// The broker core through its transport interface, with a fake connection and
// a fake clock: no sockets, no threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <string_view>

#include "mqtt/broker.hpp"
#include "mqtt/codec.hpp"
#include "tests/unit/broker_fakes.hpp"

using namespace mqgate::mqtt;
using namespace mqgate::mqtt::fakes;

namespace {

// Lets everyone in as AllowAllAuthorizer does, and records whom each
// authorize() call was for.
class RecordingAuthorizer final : public Authorizer {
public:
    void authenticate(const Connect& connect, const PeerInfo& peer, AuthDone done) override {
        AllowAllAuthorizer().authenticate(connect, peer, std::move(done));
    }
    bool authorize(std::string_view username, std::string_view client_id, std::string_view topic,
                   Access) override {
        checks.push_back(std::string(username) + "/" + std::string(client_id) + ":" + std::string(topic));
        return true;
    }
    std::vector<std::string> checks;  // "username/client id:topic or filter"
};

class BrokerTest : public ::testing::Test {
protected:
    BrokerTest() : BrokerTest(make_options()) {}
    explicit BrokerTest(BrokerOptions options) : broker(std::move(options), auth, nullptr, nullptr, [this] { return now; }) {
        broker.observe([this](const Event& e) { events.push_back(e); });
    }

    static BrokerOptions make_options() {
        BrokerOptions o;
        o.limits.max_inflight = 2;
        o.limits.max_queued_messages = 3;
        return o;
    }

    Client connect(const std::string& id, bool clean = true, std::optional<Will> will = std::nullopt,
                   ConnectReturn expect = ConnectReturn::accepted, bool* session_present = nullptr,
                   std::optional<std::string> username = std::nullopt) {
        Client c;
        c.link = broker.attach(c.conn);
        Connect pkt;
        pkt.client_id = id;
        pkt.clean_session = clean;
        pkt.keepalive = 30;
        pkt.will = std::move(will);
        pkt.username = std::move(username);
        c.link->packet(pkt);
        auto ack = c.conn->pop<Connack>();
        EXPECT_EQ(ack.return_code, expect);
        if (session_present) *session_present = ack.session_present;
        return c;
    }

    void subscribe(Client& c, const std::string& filter, std::uint8_t qos, std::uint8_t expect_code) {
        c.link->packet(Subscribe{10, {{filter, qos}}});
        auto ack = c.conn->pop<Suback>();
        ASSERT_EQ(ack.packet_id, 10);
        ASSERT_EQ(ack.return_codes, std::vector<std::uint8_t>{expect_code});
    }

    void publish(Client& c, const std::string& topic, const std::string& payload, std::uint8_t qos,
                 bool retain = false, std::uint16_t id = 1) {
        c.link->packet(Publish{false, qos, retain, topic, id, payload});
        if (qos == 1) {
            EXPECT_EQ(c.conn->pop<Puback>().packet_id, id);
        } else if (qos == 2) {
            EXPECT_EQ(c.conn->pop<Pubrec>().packet_id, id);
        }
    }

    std::chrono::system_clock::time_point now{std::chrono::seconds(1'700'000'000)};
    std::shared_ptr<RecordingAuthorizer> auth = std::make_shared<RecordingAuthorizer>();
    Broker broker;
    std::vector<Event> events;
};

TEST_F(BrokerTest, FirstPacketMustBeConnect) {
    Client c;
    c.link = broker.attach(c.conn);
    c.link->packet(Pingreq{});
    EXPECT_EQ(c.conn->close_reason, DisconnectReason::protocol_error);
    EXPECT_TRUE(c.conn->received.empty());
}

TEST_F(BrokerTest, UnsupportedProtocolLevelGetsConnack1AndClose) {
    Client c;
    c.link = broker.attach(c.conn);
    Connect pkt;
    pkt.client_id = "old";
    pkt.protocol_level = 3;
    pkt.protocol_name = "MQIsdp";
    c.link->packet(pkt);
    EXPECT_EQ(c.conn->pop<Connack>().return_code, ConnectReturn::unacceptable_protocol_version);
    EXPECT_EQ(c.conn->close_reason, DisconnectReason::connect_rejected);
    c.link->packet(Pingreq{});  // [MQTT-3.1.4-5]: not processed
    EXPECT_TRUE(c.conn->received.empty());
}

TEST_F(BrokerTest, EmptyClientIdRules) {
    auto rejected = connect("", false, std::nullopt, ConnectReturn::identifier_rejected);
    EXPECT_EQ(rejected.conn->close_reason, DisconnectReason::connect_rejected);
    auto a = connect("");
    auto b = connect("");
    auto clients = broker.clients();
    ASSERT_EQ(clients.size(), 2u);
    EXPECT_NE(clients[0].client_id, clients[1].client_id);
    EXPECT_FALSE(clients[0].client_id.empty());
}

TEST_F(BrokerTest, ClientIdTooLongRejected) {
    connect(std::string(257, 'x'), true, std::nullopt, ConnectReturn::identifier_rejected);
}

TEST_F(BrokerTest, SecondConnectIsProtocolError) {
    auto c = connect("c1");
    Connect again;
    again.client_id = "c1";
    c.link->packet(again);
    EXPECT_EQ(c.conn->close_reason, DisconnectReason::protocol_error);
}

TEST_F(BrokerTest, RoutesWithWildcardsAndDowngradesQos) {
    auto sub = connect("sub");
    subscribe(sub, "a/+/c", 1, 1);
    auto pub = connect("pub");
    publish(pub, "a/b/c", "hello", 2);
    publish(pub, "a/b/d", "no", 0);
    auto msg = sub.conn->pop<Publish>();
    EXPECT_EQ(msg.topic, "a/b/c");
    EXPECT_EQ(msg.payload, "hello");
    EXPECT_EQ(msg.qos, 1);
    EXPECT_FALSE(msg.retain);
    EXPECT_TRUE(sub.conn->received.empty());
}

TEST_F(BrokerTest, OverlappingSubscriptionsDeliverOnceAtHighestQos) {
    auto sub = connect("sub");
    subscribe(sub, "a/#", 0, 0);
    subscribe(sub, "a/+", 2, 2);
    auto pub = connect("pub");
    publish(pub, "a/x", "m", 2);
    auto msg = sub.conn->pop<Publish>();
    EXPECT_EQ(msg.qos, 2);
    EXPECT_TRUE(sub.conn->received.empty());
}

TEST_F(BrokerTest, DollarTopicsNotMatchedByLeadingWildcards) {
    auto sub = connect("sub");
    subscribe(sub, "#", 0, 0);
    auto pub = connect("pub");
    publish(pub, "$dev/x", "m", 0);
    EXPECT_TRUE(sub.conn->received.empty());
    subscribe(sub, "$dev/#", 0, 0);
    publish(pub, "$dev/x", "m", 0);
    EXPECT_EQ(sub.conn->pop<Publish>().topic, "$dev/x");
}

// Only the broker writes $SYS. MQTT: acknowledged and dropped, like any
// unauthorized PUBLISH [MQTT-3.3.5-2], whatever the authorizer says.
TEST_F(BrokerTest, ClientPublishToSysIsAcknowledgedAndDropped) {
    auto sub = connect("sub");
    subscribe(sub, "$SYS/#", 0, 0);
    auto pub = connect("pub");
    publish(pub, "$SYS/broker/uptime", "fake", 1, true, 3);
    publish(pub, "$SYS/brokers/mqgate/clients/x/connected", "{}", 2, false, 4);
    publish(pub, "$SYSTEM", "m", 0);
    EXPECT_TRUE(sub.conn->received.empty());
    EXPECT_FALSE(broker.retained_get("$SYS/broker/uptime"));
    EXPECT_EQ(broker.stats().publish_denied, 3u);
    EXPECT_TRUE(pub.conn->close_reason == std::nullopt);
}

TEST_F(BrokerTest, ApiPublishToSysIsRefusedButTheBrokerMayWriteThere) {
    auto sub = connect("sub");
    subscribe(sub, "$SYS/#", 0, 0);
    EXPECT_EQ(broker.publish("$SYS/broker/uptime", "fake", 0, true).error, Errc::sys_topic_forbidden);
    EXPECT_FALSE(broker.retained_get("$SYS/broker/uptime"));
    EXPECT_TRUE(sub.conn->received.empty());
    EXPECT_EQ(broker.stats().publish_denied, 1u);
    const auto own = broker.publish_as_broker("$SYS/brokers/n/clients/c/connected", "{}", 0, false);
    EXPECT_FALSE(own.error);
    EXPECT_EQ(sub.conn->pop<Publish>().topic, "$SYS/brokers/n/clients/c/connected");
}

// POLICY: a will on $SYS could never be published: the CONNECT is refused.
TEST_F(BrokerTest, WillOnSysTopicRefusesTheConnection) {
    auto c = connect("w", true, Will{"$SYS/broker/uptime", "gone", 0, true}, ConnectReturn::not_authorized);
    EXPECT_EQ(c.conn->close_reason, DisconnectReason::connect_rejected);
    EXPECT_FALSE(broker.client("w").has_value());
}

// POLICY: a QoS 2 packet id reused with new content before PUBREL is a
// resend [MQTT-4.3.3-2]: PUBREC again, the first message stays the one delivered.
TEST_F(BrokerTest, Qos2IdReusedBeforePubrelKeepsTheFirstMessage) {
    auto sub = connect("sub");
    subscribe(sub, "q", 2, 2);
    auto pub = connect("pub");
    publish(pub, "q", "first", 2, false, 5);
    pub.link->packet(Publish{false, 2, false, "q", 5, "second"});
    EXPECT_EQ(pub.conn->pop<Pubrec>().packet_id, 5);
    pub.link->packet(Pubrel{5});
    EXPECT_EQ(pub.conn->pop<Pubcomp>().packet_id, 5);
    EXPECT_EQ(sub.conn->pop<Publish>().payload, "first");
    EXPECT_TRUE(sub.conn->received.empty());
    // Once released, the id is free: new content under it is a new message.
    publish(pub, "q", "third", 2, false, 5);
    EXPECT_EQ(sub.conn->pop<Publish>().payload, "third");
}

TEST_F(BrokerTest, RetainedStoredReplacedAndDeleted) {
    auto pub = connect("pub");
    publish(pub, "r/1", "v1", 1, true, 1);
    publish(pub, "r/1", "v2", 1, true, 2);
    auto sub = connect("sub");
    subscribe(sub, "r/#", 2, 2);
    auto msg = sub.conn->pop<Publish>();
    EXPECT_EQ(msg.payload, "v2");
    EXPECT_TRUE(msg.retain);
    EXPECT_EQ(msg.qos, 1);
    sub.link->packet(Puback{msg.packet_id});
    publish(pub, "r/1", "", 0, true);
    auto forwarded = sub.conn->pop<Publish>();  // the delete is still forwarded, as a normal message
    EXPECT_EQ(forwarded.payload, "");
    EXPECT_FALSE(forwarded.retain);
    EXPECT_TRUE(broker.retained_page("#", "", 100, 100).messages.empty());
}

TEST_F(BrokerTest, InboundQos2DeliveredOnceDespiteResend) {
    auto sub = connect("sub");
    subscribe(sub, "q", 2, 2);
    auto pub = connect("pub");
    publish(pub, "q", "once", 2, false, 7);
    Publish dup{true, 2, false, "q", 7, "once"};
    pub.link->packet(dup);
    EXPECT_EQ(pub.conn->pop<Pubrec>().packet_id, 7);
    pub.link->packet(Pubrel{7});
    EXPECT_EQ(pub.conn->pop<Pubcomp>().packet_id, 7);
    EXPECT_EQ(sub.conn->pop<Publish>().payload, "once");
    EXPECT_TRUE(sub.conn->received.empty());
}

TEST_F(BrokerTest, OutboundQos2Flow) {
    auto sub = connect("sub");
    subscribe(sub, "q", 2, 2);
    auto pub = connect("pub");
    publish(pub, "q", "m", 2, false, 1);
    auto msg = sub.conn->pop<Publish>();
    sub.link->packet(Pubrec{msg.packet_id});
    EXPECT_EQ(sub.conn->pop<Pubrel>().packet_id, msg.packet_id);
    EXPECT_EQ(broker.client("sub")->inflight, 1u);
    sub.link->packet(Pubcomp{msg.packet_id});
    EXPECT_EQ(broker.client("sub")->inflight, 0u);
}

// An ack of the wrong type for the message in flight closes the connection;
// without that the message would hold its window slot until a reconnect.
TEST_F(BrokerTest, WrongAckTypeForTheMessageInFlightCloses) {
    struct Case {
        const char* what;
        std::uint8_t qos;
        Packet ack;  // its packet id is set to the message's
    };
    const Case cases[] = {{"PUBACK for QoS 2", 2, Puback{}},
                          {"PUBREC for QoS 1", 1, Pubrec{}},
                          {"PUBCOMP for QoS 1", 1, Pubcomp{}},
                          {"PUBCOMP for QoS 2 before PUBREC", 2, Pubcomp{}}};
    auto pub = connect("pub");
    std::uint16_t pub_id = 1;
    for (const auto& c : cases) {
        auto sub = connect(std::string("sub-") + c.what);
        subscribe(sub, "w", c.qos, c.qos);
        publish(pub, "w", "m", c.qos, false, pub_id++);
        const auto msg = sub.conn->pop<Publish>();
        Packet ack = c.ack;
        std::visit([&](auto& a) {
            if constexpr (requires { a.packet_id; }) a.packet_id = msg.packet_id;
        }, ack);
        sub.link->packet(std::move(ack));
        EXPECT_EQ(sub.conn->close_reason, DisconnectReason::protocol_error) << c.what;
        EXPECT_TRUE(sub.conn->received.empty()) << c.what;
        sub.finish();
    }
}

TEST_F(BrokerTest, AckForAnIdNotInFlightIsIgnored) {
    auto sub = connect("sub");
    sub.link->packet(Puback{77});
    sub.link->packet(Pubcomp{78});
    EXPECT_TRUE(sub.conn->close_reason == std::nullopt);
    EXPECT_TRUE(sub.conn->received.empty());
}

TEST_F(BrokerTest, InflightWindowQueuesAndReleasesInOrder) {
    auto sub = connect("sub");
    subscribe(sub, "t", 1, 1);
    auto pub = connect("pub");
    for (int i = 0; i < 4; ++i) publish(pub, "t", std::to_string(i), 1, false, static_cast<std::uint16_t>(i + 1));
    auto m0 = sub.conn->pop<Publish>();
    auto m1 = sub.conn->pop<Publish>();
    EXPECT_TRUE(sub.conn->received.empty());  // window of 2
    EXPECT_EQ(broker.client("sub")->queued, 2u);
    sub.link->packet(Puback{m0.packet_id});
    EXPECT_EQ(sub.conn->pop<Publish>().payload, "2");
    sub.link->packet(Puback{m1.packet_id});
    EXPECT_EQ(sub.conn->pop<Publish>().payload, "3");
    EXPECT_EQ(m0.payload, "0");
    EXPECT_EQ(m1.payload, "1");
}

TEST_F(BrokerTest, PersistentSessionQueuesWhileOfflineAndRedeliversWithDup) {
    auto sub = connect("p", false);
    subscribe(sub, "t", 1, 1);
    auto pub = connect("pub");
    publish(pub, "t", "in-flight", 1, false, 1);
    auto first = sub.conn->pop<Publish>();  // not acknowledged
    sub.finish();
    publish(pub, "t", "offline-1", 1, false, 2);
    publish(pub, "t", "offline-qos0", 0);  // not queued while offline (queue_qos0_offline off)
    bool present = false;
    auto again = connect("p", false, std::nullopt, ConnectReturn::accepted, &present);
    EXPECT_TRUE(present);
    auto resent = again.conn->pop<Publish>();
    EXPECT_TRUE(resent.dup);
    EXPECT_EQ(resent.packet_id, first.packet_id);
    EXPECT_EQ(resent.payload, "in-flight");
    EXPECT_EQ(again.conn->pop<Publish>().payload, "offline-1");
    EXPECT_TRUE(again.conn->received.empty());
}

TEST_F(BrokerTest, OfflineQueueOverflowDropsNewAndCounts) {
    auto sub = connect("p", false);
    subscribe(sub, "t", 1, 1);
    sub.finish();
    auto pub = connect("pub");
    for (int i = 0; i < 5; ++i) publish(pub, "t", std::to_string(i), 1, false, static_cast<std::uint16_t>(i + 1));
    EXPECT_EQ(broker.client("p")->queued, 3u);
    EXPECT_EQ(broker.client("p")->dropped, 2u);
    EXPECT_EQ(broker.stats().messages_dropped, 2u);
}

TEST_F(BrokerTest, CleanSessionDiscardsState) {
    auto sub = connect("p", false);
    subscribe(sub, "t", 1, 1);
    sub.finish();
    bool present = true;
    auto again = connect("p", true, std::nullopt, ConnectReturn::accepted, &present);
    EXPECT_FALSE(present);
    auto pub = connect("pub");
    publish(pub, "t", "x", 0);
    EXPECT_TRUE(again.conn->received.empty());
}

TEST_F(BrokerTest, WillPublishedOnNetworkErrorNotOnDisconnect) {
    auto watcher = connect("w");
    subscribe(watcher, "will/#", 1, 1);
    auto dying = connect("d1", true, Will{"will/d1", "gone", 1, false});
    dying.finish(DisconnectReason::network_error);
    auto will = watcher.conn->pop<Publish>();
    EXPECT_EQ(will.topic, "will/d1");
    EXPECT_EQ(will.payload, "gone");
    watcher.link->packet(Puback{will.packet_id});

    auto polite = connect("d2", true, Will{"will/d2", "gone", 0, false});
    polite.link->packet(Disconnect{});
    EXPECT_EQ(polite.conn->close_reason, DisconnectReason::normal);
    polite.finish(DisconnectReason::network_error);  // the transport sees EOF after DISCONNECT
    EXPECT_TRUE(watcher.conn->received.empty());

    auto d1 = broker.client("d1");
    ASSERT_TRUE(d1);
    EXPECT_FALSE(d1->connected);
    EXPECT_EQ(d1->disconnect_reason, "network_error");
    EXPECT_EQ(broker.client("d2")->disconnect_reason, "normal");
    bool saw_will_event = false;
    for (const auto& e : events) saw_will_event |= e.type == EventType::will_published && e.client_id == "d1";
    EXPECT_TRUE(saw_will_event);
}

// Found by broker_fuzz: a client subscribed to its own will topic was sent
// the will on the connection whose close had just been reported.
TEST_F(BrokerTest, WillToTheClosingClientsOwnSubscriptionWaitsInItsSession) {
    auto self = connect("self", false, Will{"will/self", "gone", 1, false});
    subscribe(self, "will/#", 1, 1);
    self.finish(DisconnectReason::network_error);
    EXPECT_TRUE(self.conn->received.empty());

    bool present = false;
    auto again = connect("self", false, std::nullopt, ConnectReturn::accepted, &present);
    EXPECT_TRUE(present);
    auto will = again.conn->pop<Publish>();
    EXPECT_EQ(will.topic, "will/self");
    EXPECT_EQ(will.payload, "gone");
    EXPECT_EQ(will.qos, 1);
}

TEST_F(BrokerTest, WillPublishedOnProtocolError) {
    auto watcher = connect("w");
    subscribe(watcher, "will", 0, 0);
    auto bad = connect("bad", true, Will{"will", "x", 0, false});
    bad.link->malformed(Errc::invalid_qos);
    EXPECT_EQ(bad.conn->close_reason, DisconnectReason::protocol_error);
    bad.finish(DisconnectReason::network_error);
    EXPECT_EQ(watcher.conn->pop<Publish>().topic, "will");
    EXPECT_EQ(broker.client("bad")->disconnect_reason, "protocol_error");
}

TEST_F(BrokerTest, TakeoverClosesOldConnectionAndPublishesItsWill) {
    auto watcher = connect("w");
    subscribe(watcher, "will", 0, 0);
    auto first = connect("same", false, Will{"will", "old", 0, false});
    subscribe(first, "t", 1, 1);
    bool present = false;
    auto second = connect("same", false, std::nullopt, ConnectReturn::accepted, &present);
    EXPECT_TRUE(present);
    EXPECT_EQ(first.conn->close_reason, DisconnectReason::takeover);
    EXPECT_EQ(watcher.conn->pop<Publish>().payload, "old");
    first.finish();  // late close of the old transport must not disturb the new one
    auto pub = connect("pub");
    publish(pub, "t", "to-new", 0);
    EXPECT_EQ(second.conn->pop<Publish>().payload, "to-new");
    EXPECT_TRUE(broker.client("same")->connected);
}

TEST_F(BrokerTest, UsernameAndWillOfEachKindOfClient) {
    auto watcher = connect("w");
    subscribe(watcher, "will/#", 0, 0);
    auto anon = connect("anon");
    auto anon_will = connect("anon-will", true, Will{"will/anon", "a", 0, false});
    auto named = connect("named", true, std::nullopt, ConnectReturn::accepted, nullptr, "bob");
    auto named_will = connect("named-will", true, Will{"will/named", "n", 0, false}, ConnectReturn::accepted,
                              nullptr, "alice");

    const auto expect = [&](const char* id, const char* username, std::optional<std::string> will_topic) {
        const auto info = broker.client(id);
        ASSERT_TRUE(info) << id;
        EXPECT_EQ(info->username, username) << id;
        EXPECT_EQ(info->will_topic, will_topic) << id;
    };
    expect("anon", "", std::nullopt);
    expect("anon-will", "", "will/anon");
    expect("named", "bob", std::nullopt);
    expect("named-will", "alice", "will/named");
    const auto connected = std::find_if(events.begin(), events.end(), [](const Event& e) {
        return e.type == EventType::client_connected && e.client_id == "named-will";
    });
    ASSERT_NE(connected, events.end());
    EXPECT_EQ(connected->username, "alice");

    // The ACL sees the username for subscribe, publish and the will.
    auth->checks.clear();
    subscribe(named_will, "x", 0, 0);
    publish(named_will, "x", "p", 0);
    EXPECT_EQ(named_will.conn->pop<Publish>().payload, "p");
    named_will.finish(DisconnectReason::network_error);
    EXPECT_EQ(watcher.conn->pop<Publish>().payload, "n");
    EXPECT_EQ(auth->checks,
              (std::vector<std::string>{"alice/named-will:x", "alice/named-will:x", "alice/named-will:will/named"}));
    // The will went with the connection; the username stays in the departure.
    expect("named-will", "alice", std::nullopt);
    EXPECT_FALSE(broker.client("named-will")->connected);

    // DISCONNECT discards the will and keeps the username.
    named.link->packet(Disconnect{});
    named.finish(DisconnectReason::network_error);
    anon_will.link->packet(Disconnect{});
    anon_will.finish(DisconnectReason::network_error);
    EXPECT_TRUE(watcher.conn->received.empty());
    expect("named", "bob", std::nullopt);
    expect("anon-will", "", std::nullopt);
    anon.finish(DisconnectReason::network_error);
    expect("anon", "", std::nullopt);
}

TEST_F(BrokerTest, KickClosesAndWillFires) {
    auto watcher = connect("w");
    subscribe(watcher, "will", 0, 0);
    auto victim = connect("v", true, Will{"will", "kicked", 0, false});
    EXPECT_TRUE(broker.kick("v"));
    EXPECT_EQ(victim.conn->close_reason, DisconnectReason::kicked);
    victim.finish();
    EXPECT_EQ(watcher.conn->pop<Publish>().payload, "kicked");
    EXPECT_EQ(broker.client("v")->disconnect_reason, "kicked");
    EXPECT_FALSE(broker.kick("v"));
}

TEST_F(BrokerTest, SubscriptionsMadeOnFirstSubscribeAreVisibleThroughTheApi) {
    auto idle = connect("idle");
    auto c = connect("s");
    EXPECT_EQ(broker.client("idle")->subscriptions, 0u);
    EXPECT_EQ(broker.client("s")->subscriptions, 0u);
    EXPECT_TRUE(broker.subscriptions().empty());

    subscribe(c, "b/#", 1, 1);
    subscribe(c, "a", 0, 0);
    subscribe(c, "b/#", 2, 2);  // replaces the granted QoS
    EXPECT_EQ(broker.client("s")->subscriptions, 2u);
    EXPECT_EQ(broker.client("idle")->subscriptions, 0u);
    auto subs = broker.subscriptions();
    ASSERT_EQ(subs.size(), 2u);
    std::sort(subs.begin(), subs.end(), [](const auto& x, const auto& y) { return x.filter < y.filter; });
    EXPECT_EQ(subs[0].client_id, "s");
    EXPECT_EQ(subs[0].filter, "a");
    EXPECT_EQ(subs[0].qos, 0);
    EXPECT_EQ(subs[1].filter, "b/#");
    EXPECT_EQ(subs[1].qos, 2);
    EXPECT_EQ(broker.stats().subscriptions, 2u);

    c.link->packet(Unsubscribe{11, {"a", "b/#", "never"}});
    EXPECT_EQ(c.conn->pop<Unsuback>().packet_id, 11);
    EXPECT_EQ(broker.client("s")->subscriptions, 0u);
    EXPECT_TRUE(broker.subscriptions().empty());
    EXPECT_EQ(broker.stats().subscriptions, 0u);

    // Subscribing again after the last one went routes as before.
    subscribe(c, "b/#", 0, 0);
    auto pub = connect("pub");
    publish(pub, "b/x", "hello", 0);
    EXPECT_EQ(c.conn->pop<Publish>().payload, "hello");
    EXPECT_EQ(broker.client("s")->subscriptions, 1u);
}

TEST_F(BrokerTest, SubscriptionOverLimitsRefusedAndCounted) {
    auto c = connect("many");
    std::string deep = "a";
    for (int i = 0; i < 200; ++i) deep += "/a";
    subscribe(c, deep, 0, suback_failure);
    subscribe(c, "ok", 1, 1);
    EXPECT_EQ(broker.stats().subscribe_refused, 1u);
}

TEST_F(BrokerTest, SlowConsumerDropsQos0) {
    auto sub = connect("slow");
    subscribe(sub, "t", 0, 0);
    sub.conn->buffered = 2 << 20;
    auto pub = connect("pub");
    publish(pub, "t", "x", 0);
    EXPECT_TRUE(sub.conn->received.empty());
    EXPECT_EQ(broker.client("slow")->dropped, 1u);
}

TEST_F(BrokerTest, InternalApiPublishSubscribeAndRetained) {
    std::vector<std::string> got;
    auto pub = connect("pub");
    publish(pub, "api/r", "kept", 0, true);
    auto id = broker.subscribe("api/#", [&](const MessagePtr& m) { got.push_back(m->topic + "=" + m->payload); });
    ASSERT_NE(id, 0u);
    // Live messages only: retained ones are read a page at a time.
    EXPECT_TRUE(got.empty());
    const auto page = broker.retained_page("api/#", "", 10, 100);
    ASSERT_EQ(page.messages.size(), 1u);
    EXPECT_EQ(page.messages[0]->payload, "kept");
    EXPECT_TRUE(page.next.empty());
    got.push_back("api/r=kept");
    auto sub = connect("sub");
    subscribe(sub, "api/x", 1, 1);
    auto res = broker.publish("api/x", "v", 1, false);
    EXPECT_FALSE(res.error);
    EXPECT_EQ(res.matched, 2u);
    EXPECT_EQ(sub.conn->pop<Publish>().payload, "v");
    EXPECT_EQ(got.back(), "api/x=v");
    EXPECT_TRUE(broker.publish("bad/#", "v", 0, false).error);
    broker.unsubscribe(id);
    broker.publish("api/x", "w", 0, false);
    EXPECT_EQ(got.size(), 2u);
}

// A device request asks has_subscriber(): client sessions count, and relaying internal subscribers
// (a bridge towards devices on other nodes), not the others (a dashboard's stream).
TEST_F(BrokerTest, HasSubscriberCountsClientsAndRelaysOnly) {
    const auto stream = broker.subscribe("dev/#", [](const MessagePtr&) {});
    EXPECT_FALSE(broker.has_subscriber("dev/1/req"));
    auto device = connect("device");
    subscribe(device, "dev/1/+", 1, 1);
    EXPECT_TRUE(broker.has_subscriber("dev/1/req"));
    EXPECT_FALSE(broker.has_subscriber("dev/2/req"));
    const auto relay = broker.subscribe("dev/2/#", [](const MessagePtr&) {}, true);
    EXPECT_TRUE(broker.has_subscriber("dev/2/req"));
    broker.unsubscribe(relay);
    EXPECT_FALSE(broker.has_subscriber("dev/2/req"));
    broker.unsubscribe(stream);
}

TEST_F(BrokerTest, RetainedPagesFollowTheCursor) {
    auto pub = connect("pub");
    for (const char* topic : {"p/c", "p/a", "p/b", "q/a", "p/d"}) publish(pub, topic, "v", 0, true);
    auto first = broker.retained_page("p/#", "", 2, 100);
    ASSERT_EQ(first.messages.size(), 2u);
    EXPECT_EQ(first.messages[1]->topic, "p/b");
    EXPECT_EQ(first.next, "p/b");
    auto rest = broker.retained_page("p/#", first.next, 10, 100);
    ASSERT_EQ(rest.messages.size(), 2u);
    EXPECT_EQ(rest.messages[0]->topic, "p/c");
    EXPECT_TRUE(rest.next.empty());
    // The budget bounds what one call examines: "+/a" has no literal prefix.
    auto bounded = broker.retained_page("+/a", "p/a", 10, 2);
    EXPECT_TRUE(bounded.messages.empty());
    EXPECT_EQ(bounded.next, "p/c");
    EXPECT_TRUE(broker.retained_page("a/#/b", "", 10, 100).messages.empty());
}

TEST_F(BrokerTest, ObserverMayCallBackIntoBroker) {
    // Callbacks run outside the lock: publishing from an observer must not deadlock.
    broker.observe([this](const Event& e) {
        if (e.type == EventType::client_connected) broker.publish("seen/" + e.client_id, "1", 0, true);
    });
    connect("someone");
    EXPECT_TRUE(broker.retained_get("seen/someone"));
}

TEST_F(BrokerTest, SysTopicsPublishedOnTick) {
    auto sub = connect("sys");
    subscribe(sub, "$SYS/broker/clients/connected", 0, 0);
    broker.tick();
    EXPECT_EQ(sub.conn->pop<Publish>().payload, "1");
}

TEST_F(BrokerTest, AwaitingRelExpires) {
    auto pub = connect("pub");
    publish(pub, "t", "m", 2, false, 9);
    now += std::chrono::seconds(301);
    broker.tick();
    // After expiry the id is free again: a new PUBLISH with it is delivered.
    auto sub = connect("sub");
    subscribe(sub, "t", 0, 0);
    publish(pub, "t", "again", 2, false, 9);
    EXPECT_EQ(sub.conn->pop<Publish>().payload, "again");
}

// A broker that keeps the status of only three departed clean-session clients.
class BrokerRecordsTest : public BrokerTest {
protected:
    BrokerRecordsTest() : BrokerTest(three_records()) {}
    static BrokerOptions three_records() {
        BrokerOptions o = make_options();
        o.limits.max_disconnected_records = 3;
        return o;
    }
    void come_and_go(const std::string& id) { connect(id).finish(); }
    bool remembered(const std::string& id) { return broker.client(id).has_value(); }
};

TEST_F(BrokerRecordsTest, OldestDeparturesAreForgottenFirst) {
    for (const char* id : {"a", "b", "c", "d"}) come_and_go(id);
    EXPECT_FALSE(remembered("a"));
    EXPECT_TRUE(remembered("b"));
    EXPECT_TRUE(remembered("c"));
    EXPECT_TRUE(remembered("d"));
    EXPECT_EQ(broker.clients().size(), 3u);
}

TEST_F(BrokerRecordsTest, AClientThatDepartsAgainIsRememberedFromItsLastDeparture) {
    come_and_go("x");
    come_and_go("x");  // its earlier departure must not count any more
    come_and_go("a");
    come_and_go("b");
    EXPECT_TRUE(remembered("x"));  // among the three latest departures
    EXPECT_TRUE(remembered("a"));
    EXPECT_TRUE(remembered("b"));
    come_and_go("c");
    EXPECT_FALSE(remembered("x"));
    EXPECT_EQ(broker.clients().size(), 3u);
}

// A departed clean-session client's record keeps its counters: REST must
// not show 0 dropped for a client that dropped thousands.
TEST_F(BrokerRecordsTest, ADepartedClientKeepsItsCounters) {
    auto sub = connect("slow");
    subscribe(sub, "t", 1, 1);
    auto pub = connect("pub");
    // Window 2, queue 3: 5 sent or queued, 3 dropped.
    for (std::uint16_t i = 1; i <= 8; ++i) publish(pub, "t", "m", 1, false, i);
    publish(sub, "other", "x", 0);
    const auto live = broker.client("slow");
    ASSERT_TRUE(live && live->connected);
    EXPECT_EQ(live->dropped, 3u);
    EXPECT_EQ(live->messages_out, 2u);
    EXPECT_EQ(live->messages_in, 1u);
    sub.finish();
    const auto gone = broker.client("slow");
    ASSERT_TRUE(gone && !gone->connected);
    EXPECT_EQ(gone->dropped, 3u);
    EXPECT_EQ(gone->messages_out, 2u);
    EXPECT_EQ(gone->messages_in, 1u);
    const auto listed = broker.clients();
    const auto it =
        std::find_if(listed.begin(), listed.end(), [](const ClientInfo& c) { return c.client_id == "slow"; });
    ASSERT_NE(it, listed.end());
    EXPECT_EQ(it->dropped, 3u);
}

TEST_F(BrokerRecordsTest, AReconnectedClientLeavesRoomForOthers) {
    come_and_go("x");
    auto x = connect("x");  // connected again: its status is in its session now
    come_and_go("a");
    come_and_go("b");
    come_and_go("c");
    EXPECT_TRUE(remembered("a"));  // the three records are a, b and c
    EXPECT_TRUE(remembered("b"));
    EXPECT_TRUE(remembered("c"));
    EXPECT_TRUE(broker.client("x")->connected);
    EXPECT_EQ(broker.clients().size(), 4u);
}

}  // namespace
