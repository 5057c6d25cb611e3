// Tracked messages: the broker reports the PUBACK / PUBCOMP that completes
// each delivery of a message published with a tag (Broker::set_ack_listener),
// in memory and across a restart with durable storage (memory backend).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mqtt/broker.hpp"
#include "tests/unit/stored_broker_fixture.hpp"

using namespace mqgate::mqtt;
using namespace mqgate::mqtt::fakes;

namespace {

class BrokerAckTest : public StoredBrokerTest {
protected:
    BrokerAckTest() { listen(); }

    // Records each report as "client:tag".
    void listen() {
        broker->set_ack_listener([this](const std::string& client_id, const MessagePtr& m) {
            acks.push_back(client_id + ":" + std::string(m->tag()));
        });
    }

    std::vector<std::string> acks;
};

TEST_F(BrokerAckTest, Qos1IsReportedAtEachClientsPubackAndUntrackedNever) {
    Client dev = connect("dev", true);
    Client other = connect("other", true);
    subscribe(dev, "cmd", 1);
    subscribe(other, "cmd", 1);

    broker->publish("cmd", "untracked", 1, false);
    dev.link->packet(Puback{dev.conn->pop<Publish>().packet_id});
    other.link->packet(Puback{other.conn->pop<Publish>().packet_id});
    EXPECT_TRUE(acks.empty());

    broker->publish("cmd", "reboot", 1, false, "c1");
    const auto to_dev = dev.conn->pop<Publish>();
    const auto to_other = other.conn->pop<Publish>();
    EXPECT_EQ(to_dev.payload, "reboot");
    EXPECT_TRUE(acks.empty());  // sent is not acknowledged
    dev.link->packet(Puback{to_dev.packet_id});
    EXPECT_EQ(acks, std::vector<std::string>{"dev:c1"});
    dev.link->packet(Puback{to_dev.packet_id});  // a late duplicate completes nothing
    other.link->packet(Puback{to_other.packet_id});
    EXPECT_EQ(acks, (std::vector<std::string>{"dev:c1", "other:c1"}));
}

TEST_F(BrokerAckTest, Qos2IsReportedAtPubcompNotPubrec) {
    Client dev = connect("dev", true);
    subscribe(dev, "cmd", 2);
    broker->publish("cmd", "reboot", 2, false, "c2");
    const auto p = dev.conn->pop<Publish>();
    dev.link->packet(Pubrec{p.packet_id});
    EXPECT_EQ(dev.conn->pop<Pubrel>().packet_id, p.packet_id);
    EXPECT_TRUE(acks.empty());
    dev.link->packet(Pubcomp{p.packet_id});
    EXPECT_EQ(acks, std::vector<std::string>{"dev:c2"});
}

TEST_F(BrokerAckTest, ADeliveryDowngradedToQos0HasNoAcknowledgement) {
    Client dev = connect("dev", true);
    subscribe(dev, "cmd", 0);
    broker->publish("cmd", "reboot", 1, false, "c3");
    EXPECT_EQ(dev.conn->pop<Publish>().qos, 0);
    EXPECT_TRUE(acks.empty());
}

TEST_F(BrokerAckTest, AStoredTrackedMessageIsReportedAfterARestart) {
    {
        Client dev = connect("dev", false);
        subscribe(dev, "cmd", 1);
        dev.finish();  // offline: the message waits in its stored queue
        broker->publish("cmd", "reboot", 1, false, "c4");
    }
    restart();
    listen();
    Client dev = connect("dev", false);
    const auto p = dev.conn->pop<Publish>();
    EXPECT_EQ(p.payload, "reboot");
    dev.link->packet(Puback{p.packet_id});
    EXPECT_EQ(acks, std::vector<std::string>{"dev:c4"});
}

TEST_F(BrokerAckTest, ATrackedMessageNamesNoPublisher) {
    Client viewer = connect("viewer", true);
    broker->publish("cmd/r", "on", 1, true, "c5");
    broker->publish("plain/r", "on", 1, true);
    const auto tracked = broker->retained_get("cmd/r");
    ASSERT_TRUE(tracked);
    EXPECT_TRUE(tracked->tracked());
    EXPECT_EQ(tracked->tag(), "c5");
    EXPECT_EQ(tracked->publisher(), "");  // as for any API publish (webhooks, REST)
    const auto plain = broker->retained_get("plain/r");
    EXPECT_FALSE(plain->tracked());
    EXPECT_EQ(plain->tag(), "");
}

}  // namespace
