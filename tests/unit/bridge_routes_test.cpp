// Which topics cross a bridge, under which name and QoS; the bounded out queue.
#include <gtest/gtest.h>

#include "bridge/echo_filter.hpp"
#include "bridge/out_queue.hpp"
#include "bridge/routes.hpp"

namespace mqgate::bridge {
namespace {

config::BridgeTopic topic(std::string filter, config::BridgeDirection d, std::uint8_t qos = 1,
                          std::string local_prefix = "", std::string remote_prefix = "") {
    return config::BridgeTopic{std::move(filter), d, qos, std::move(local_prefix), std::move(remote_prefix)};
}

using config::BridgeDirection;

TEST(BridgeRoutes, PrefixesAreReplacedEachWay) {
    const auto routes = make_routes({topic("sensors/#", BridgeDirection::both, 2, "local/", "site1/")});
    EXPECT_EQ(routes[0].local_filter, "local/sensors/#");
    EXPECT_EQ(routes[0].remote_filter, "site1/sensors/#");
    const auto out = outbound(routes, "local/sensors/t1");
    ASSERT_TRUE(out);
    EXPECT_EQ(out->topic, "site1/sensors/t1");
    EXPECT_EQ(out->qos, 2);
    const auto in = inbound(routes, "site1/sensors/t2");
    ASSERT_TRUE(in);
    EXPECT_EQ(in->topic, "local/sensors/t2");
    EXPECT_FALSE(outbound(routes, "sensors/t1"));       // not under the local prefix
    EXPECT_FALSE(inbound(routes, "local/sensors/t1"));  // not under the remote prefix
}

TEST(BridgeRoutes, DirectionDecidesWhichWay) {
    const auto routes = make_routes({topic("up/#", BridgeDirection::out), topic("down/#", BridgeDirection::in, 0)});
    EXPECT_TRUE(outbound(routes, "up/a"));
    EXPECT_FALSE(inbound(routes, "up/a"));
    EXPECT_FALSE(outbound(routes, "down/a"));
    ASSERT_TRUE(inbound(routes, "down/a"));
    EXPECT_EQ(inbound(routes, "down/a")->qos, 0);
}

TEST(BridgeRoutes, FirstMatchingRouteWins) {
    const auto routes = make_routes(
        {topic("a/b", BridgeDirection::out, 0, "", "x/"), topic("a/#", BridgeDirection::out, 2, "", "y/")});
    EXPECT_EQ(outbound(routes, "a/b")->topic, "x/a/b");
    EXPECT_EQ(outbound(routes, "a/c")->topic, "y/a/c");
    EXPECT_EQ(outbound(routes, "a/c")->qos, 2);
}

TEST(BridgeRoutes, NothingLeftAfterThePrefixDoesNotCross) {
    // "a/#" matches "a" itself, which does not start with the prefix "a/".
    const auto routes = make_routes({topic("#", BridgeDirection::both, 1, "a/", "")});
    EXPECT_FALSE(outbound(routes, "a"));
    EXPECT_EQ(outbound(routes, "a/b")->topic, "b");
}

TEST(BridgeRoutes, SysTopicsCrossOnlyWhenNamed) {
    const auto hash = make_routes({topic("#", BridgeDirection::out)});
    EXPECT_FALSE(outbound(hash, "$SYS/brokers/n/clients/c/connected"));
    const auto sys = make_routes({topic("+/clients/#", BridgeDirection::both, 0, "$SYS/brokers/", "fleet/")});
    EXPECT_EQ(outbound(sys, "$SYS/brokers/n/clients/c/connected")->topic, "fleet/n/clients/c/connected");
}

Outgoing item(std::string topic, std::size_t bytes, std::uint8_t qos) {
    auto m = std::make_shared<mqtt::Message>();
    m->topic = topic;
    m->payload.assign(bytes, 'x');
    return Outgoing{std::move(topic), std::move(m), qos, false};
}

TEST(BridgeOutQueue, OldestUnsentIsDroppedWhenFull) {
    OutQueue q(3, 1000);
    EXPECT_EQ(q.push(item("1", 1, 1)), 0u);
    EXPECT_EQ(q.push(item("2", 1, 1)), 0u);
    EXPECT_EQ(q.push(item("3", 1, 1)), 0u);
    EXPECT_EQ(q.push(item("4", 1, 1)), 1u);
    ASSERT_EQ(q.size(), 3u);
    EXPECT_EQ(q.next(10)->topic, "2");
}

TEST(BridgeOutQueue, BytesBoundDropsAsManyAsNeeded) {
    OutQueue q(100, 10);
    q.push(item("a", 4, 1));
    q.push(item("b", 4, 1));
    EXPECT_EQ(q.push(item("c", 8, 1)), 2u);
    EXPECT_EQ(q.bytes(), 8u);
    EXPECT_EQ(q.push(item("huge", 11, 1)), 1u);  // over max_bytes alone: itself
    EXPECT_EQ(q.size(), 1u);
}

TEST(BridgeOutQueue, SentMessagesAreKeptUntilAcknowledged) {
    OutQueue q(2, 1000);
    q.push(item("1", 1, 1));
    q.push(item("2", 1, 2));
    q.sent(7);
    q.sent(8);
    EXPECT_EQ(q.next(10), nullptr);
    EXPECT_EQ(q.awaiting_count(), 2u);
    // Full of messages awaiting acknowledgement: the new one is the one dropped.
    EXPECT_EQ(q.push(item("3", 1, 1)), 1u);
    ASSERT_NE(q.awaiting(8), nullptr);
    EXPECT_EQ(q.awaiting(8)->topic, "2");
    EXPECT_TRUE(q.acknowledged(7));
    EXPECT_FALSE(q.acknowledged(7));
    EXPECT_EQ(q.size(), 1u);
}

TEST(BridgeOutQueue, WindowLimitsWhatIsInFlightAndQos0LeavesWhenSent) {
    OutQueue q(10, 1000);
    q.push(item("0", 1, 0));
    q.push(item("1", 1, 1));
    q.push(item("2", 1, 1));
    ASSERT_EQ(q.next(1)->topic, "0");
    q.sent(0);
    EXPECT_EQ(q.size(), 2u);
    ASSERT_EQ(q.next(1)->topic, "1");
    q.sent(1);
    EXPECT_EQ(q.next(1), nullptr);  // one awaits acknowledgement
    ASSERT_NE(q.next(2), nullptr);
    std::vector<std::string> awaiting;
    q.for_each_awaiting([&](const Outgoing& o) { awaiting.push_back(o.topic); });
    EXPECT_EQ(awaiting, std::vector<std::string>{"1"});
}

TEST(BridgeOutQueue, StoredFormRoundTripsAndRefusesOtherBytes) {
    Outgoing o = item("site1/a/b", 3, 2);
    o.retain = true;
    const auto back = from_stored(stored_form(o), 42);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->topic, "site1/a/b");
    EXPECT_EQ(back->message->payload, "xxx");
    EXPECT_EQ(back->qos, 2);
    EXPECT_TRUE(back->retain);
    EXPECT_EQ(back->seq, 42u);
    EXPECT_FALSE(from_stored("", 1));
    EXPECT_FALSE(from_stored(std::string("\x03\x00\x00\x00\x00\x01t", 7), 1));  // QoS 3
    EXPECT_FALSE(from_stored(std::string("\x01\x00\x00\x00\x00\x09t", 7), 1));  // topic past the end
}

TEST(BridgeOutQueue, DroppedMessagesAreShownBeforeTheyGo) {
    OutQueue q(1, 1000);
    std::vector<std::string> dropped;
    const auto note = [&](const Outgoing& o) { dropped.push_back(o.topic); };
    q.push(item("1", 1, 1), note);
    q.push(item("2", 1, 1), note);
    q.sent(5);
    q.push(item("3", 1, 1), note);
    EXPECT_EQ(dropped, (std::vector<std::string>{"1", "3"}));
}

TEST(BridgeEchoFilter, EachCopySentIsDroppedOnceWhenItComesBack) {
    EchoFilter f;
    const auto t0 = EchoFilter::Clock::now();
    f.sent("a/b", "1", t0);
    f.sent("a/b", "1", t0);
    EXPECT_FALSE(f.echo("a/b", "2", t0));
    EXPECT_FALSE(f.echo("a/c", "1", t0));
    EXPECT_TRUE(f.echo("a/b", "1", t0));
    EXPECT_TRUE(f.echo("a/b", "1", t0));
    EXPECT_FALSE(f.echo("a/b", "1", t0));  // a third copy is someone else's
}

TEST(BridgeEchoFilter, BoundedInAgeAndEntries) {
    EchoFilter f(std::chrono::seconds(10), 2);
    const auto t0 = EchoFilter::Clock::now();
    f.sent("x", "old", t0);
    EXPECT_FALSE(f.echo("x", "old", t0 + std::chrono::seconds(11)));
    f.sent("x", "1", t0);
    f.sent("x", "2", t0);
    f.sent("x", "3", t0);  // over 2 entries: the oldest is forgotten
    EXPECT_EQ(f.size(), 2u);
    EXPECT_FALSE(f.echo("x", "1", t0));
    EXPECT_TRUE(f.echo("x", "3", t0));
    // A copy that came back is not forgotten again when its entry ages out.
    f.sent("y", "p", t0);
    EXPECT_TRUE(f.echo("y", "p", t0));
    f.sent("y", "p", t0 + std::chrono::seconds(5));
    EXPECT_TRUE(f.echo("y", "p", t0 + std::chrono::seconds(12)));
}

}  // namespace
}  // namespace mqgate::bridge
