// The broker core with durable storage (store/ with its memory backend):
// what a restart keeps, and acknowledgements that wait for the commit.
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "mqtt/broker.hpp"
#include "store/store.hpp"
#include "tests/unit/broker_fakes.hpp"
#include "tests/unit/stored_broker_fixture.hpp"

using namespace mqgate::mqtt;
using namespace mqgate::mqtt::fakes;
namespace store = mqgate::store;

namespace {

using BrokerPersistTest = StoredBrokerTest;

TEST_F(BrokerPersistTest, RestartKeepsRetainedMessagesAndPersistentSessions) {
    {
        Client dev = connect("dev", false);
        subscribe(dev, "a/#", 1);
        dev.finish();
        Client pub = connect("pub", true);
        pub.link->packet(Publish{false, 1, false, "a/1", 1, "queued"});
        pub.link->packet(Publish{false, 0, true, "a/r", 0, "last value"});
        db->flush();
        EXPECT_EQ(pub.conn->pop<Puback>().packet_id, 1);
    }
    restart();

    bool present = false;
    Client dev = connect("dev", false, &present);
    EXPECT_TRUE(present);  // [MQTT-3.2.2-2], across the restart
    auto queued = dev.conn->pop<Publish>();
    EXPECT_EQ(queued.topic, "a/1");
    EXPECT_EQ(queued.payload, "queued");
    EXPECT_EQ(queued.qos, 1);
    // The subscription came back too: a new message reaches the session.
    dev.link->packet(Puback{queued.packet_id});
    Client pub = connect("pub2", true);
    pub.link->packet(Publish{false, 1, false, "a/2", 3, "live"});
    db->flush();
    EXPECT_EQ(dev.conn->pop<Publish>().payload, "live");

    Client viewer = connect("viewer", true);
    viewer.link->packet(Subscribe{5, {{"a/r", 0}}});
    viewer.conn->pop<Suback>();
    EXPECT_EQ(viewer.conn->pop<Publish>().payload, "last value");
}

TEST_F(BrokerPersistTest, PubackWaitsForTheCommitAndKeepsItsOrder) {
    Client dev = connect("dev", false);
    subscribe(dev, "stored/#", 1);
    dev.finish();  // offline: messages for it are queued, so stored
    Client pub = connect("pub", true);
    Client other = connect("other", true);

    auto release = stall_store();
    pub.link->packet(Publish{false, 1, false, "stored/x", 1, "must be on disk first"});
    pub.link->packet(Publish{false, 1, false, "nobody/x", 2, "nothing to store"});
    pub.link->packet(Pingreq{});
    // Nothing has committed: the first ack is held, and what follows it on the connection waits behind it.
    EXPECT_TRUE(pub.conn->received.empty());

    // Another client's ack owes nothing to the store: it is not held up.
    other.link->packet(Publish{false, 1, false, "nobody/y", 9, "free"});
    EXPECT_EQ(other.conn->pop<Puback>().packet_id, 9);

    release.set_value();
    db->flush();
    EXPECT_EQ(pub.conn->pop<Puback>().packet_id, 1);
    EXPECT_EQ(pub.conn->pop<Puback>().packet_id, 2);
    pub.conn->pop<Pingresp>();
}

// The REST API's acknowledgement: Broker::publish's `stored` callback.
TEST_F(BrokerPersistTest, AnApiPublishIsReportedStoredOnlyAfterItsCommit) {
    Client dev = connect("dev", false);
    subscribe(dev, "stored/#", 1);
    dev.finish();

    std::vector<std::string> reports;
    const auto report = [&reports](std::string what) {
        return [&reports, what](std::error_code ec) { reports.push_back(what + (ec ? " failed" : " stored")); };
    };
    auto release = stall_store();
    EXPECT_FALSE(broker->publish("stored/1", "queued for dev", 1, false, {}, report("queued")).error);
    EXPECT_FALSE(broker->publish("other/r", "retained", 1, true, {}, report("retained")).error);
    // Nothing to keep: a QoS 0 message nobody persistent takes is reported at once.
    EXPECT_FALSE(broker->publish("nobody/x", "live only", 0, false, {}, report("live")).error);
    EXPECT_EQ(reports, std::vector<std::string>{"live stored"});

    release.set_value();
    db->flush();
    EXPECT_EQ(reports, (std::vector<std::string>{"live stored", "queued stored", "retained stored"}));

    // A refused publish is never reported.
    EXPECT_TRUE(broker->publish("$SYS/x", "no", 1, true, {}, report("sys")).error);
    db->flush();
    EXPECT_EQ(reports.size(), 3u);
}

// A staged internal subscriber (webhooks' message.publish) writes in the publish's own batch: a
// publisher with nothing else to store gets its PUBACK only once that write committed.
TEST_F(BrokerPersistTest, AStagedSubscribersWriteHoldsThePubackUntilItCommits) {
    int jobs = 0;
    const auto id = broker->subscribe_staged("staged/#", [&](const MessagePtr& m, store::Batch* batch) -> std::function<void()> {
        if (m->payload == "not mine") return {};
        EXPECT_NE(batch, nullptr);
        batch->add(store::op::Append{"q", store::QueueItem{db->next_id(), m->payload}});
        return [&jobs] { ++jobs; };
    });
    ASSERT_NE(id, 0u);
    Client pub = connect("pub", true);

    auto release = stall_store();
    pub.link->packet(Publish{false, 1, false, "staged/x", 1, "event"});
    EXPECT_TRUE(pub.conn->received.empty());  // held for the commit of the staged write
    EXPECT_EQ(jobs, 1);                       // the job ran once the lock was released
    release.set_value();
    db->flush();
    EXPECT_EQ(pub.conn->pop<Puback>().packet_id, 1);
    const auto stored = db->read_queue("q", 0, 10);
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_EQ(stored[0].data, "event");

    // Declined: nothing written, nothing held, not a match.
    pub.link->packet(Publish{false, 1, false, "staged/y", 2, "not mine"});
    EXPECT_EQ(pub.conn->pop<Puback>().packet_id, 2);
    EXPECT_EQ(broker->publish("staged/z", "not mine", 0, false).matched, 0u);
    broker->unsubscribe(id);
}

TEST_F(BrokerPersistTest, InboundQos2IsExactlyOnceAcrossARestart) {
    Client dev = connect("dev", false);
    subscribe(dev, "q2", 2);
    dev.finish();
    {
        Client pub = connect("pub", false);
        pub.link->packet(Publish{false, 2, false, "q2", 7, "once"});
        db->flush();
        EXPECT_EQ(pub.conn->pop<Pubrec>().packet_id, 7);
    }
    restart();  // after PUBREC, before PUBREL

    bool present = false;
    Client pub = connect("pub", false, &present);
    EXPECT_TRUE(present);
    pub.link->packet(Publish{true, 2, false, "q2", 7, "once"});  // the client's resend [MQTT-4.4.0-1]
    db->flush();
    EXPECT_EQ(pub.conn->pop<Pubrec>().packet_id, 7);
    pub.link->packet(Pubrel{7});
    db->flush();
    EXPECT_EQ(pub.conn->pop<Pubcomp>().packet_id, 7);

    Client sub = connect("dev", false);
    EXPECT_EQ(sub.conn->pop<Publish>().payload, "once");
    EXPECT_TRUE(sub.conn->received.empty()) << "delivered twice";
}

TEST_F(BrokerPersistTest, OutboundQos2ResumesAtPubrelAfterARestart) {
    {
        Client dev = connect("dev", false);
        subscribe(dev, "q2", 2);
        Client pub = connect("pub", true);
        pub.link->packet(Publish{false, 2, false, "q2", 1, "m"});
        db->flush();
        auto msg = dev.conn->pop<Publish>();
        dev.link->packet(Pubrec{msg.packet_id});
        db->flush();
        EXPECT_EQ(dev.conn->pop<Pubrel>().packet_id, msg.packet_id);
    }
    restart();  // after PUBREL, before PUBCOMP

    Client dev = connect("dev", false);
    // [MQTT-4.4.0-1]: PUBREL again, not the message.
    const auto rel = dev.conn->pop<Pubrel>();
    EXPECT_TRUE(dev.conn->received.empty());
    dev.link->packet(Pubcomp{rel.packet_id});
    db->flush();
    dev.finish();
    restart();
    Client again = connect("dev", false);
    EXPECT_TRUE(again.conn->received.empty()) << "the completed flow came back";
}

TEST_F(BrokerPersistTest, CleanSessionsAndQos0WriteNothing) {
    Client sub = connect("watcher", true);
    subscribe(sub, "t", 1);
    Client pub = connect("pub", true);
    const auto before = db->stats().operations;
    pub.link->packet(Publish{false, 1, false, "t", 1, "x"});
    pub.link->packet(Publish{false, 0, false, "t", 0, "y"});
    EXPECT_EQ(pub.conn->pop<Puback>().packet_id, 1);  // not held: nothing to store
    db->flush();
    EXPECT_EQ(db->stats().operations, before);
}

TEST_F(BrokerPersistTest, RetainedDeleteSurvivesARestart) {
    {
        Client pub = connect("pub", true);
        pub.link->packet(Publish{false, 0, true, "r/1", 0, "one"});
        pub.link->packet(Publish{false, 0, true, "r/2", 0, "two"});
        pub.link->packet(Publish{false, 0, true, "r/1", 0, ""});  // [MQTT-3.3.1-10]
        EXPECT_TRUE(broker->retained_delete("r/2"));
    }
    restart();
    EXPECT_EQ(broker->stats().retained, 0u);
}

}  // namespace
