#include "events/event_log.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "events/event_json.hpp"

namespace {

using mqgate::events::EventLog;
using mqgate::events::LoggedEvent;
using mqgate::mqtt::Event;
using mqgate::mqtt::EventType;

Event connected(std::string id) {
    Event e;
    e.type = EventType::client_connected;
    e.client_id = std::move(id);
    e.timestamp_ms = 1714566896789;
    return e;
}

TEST(EventLog, SequenceStartsAtOneAndIncreases) {
    EventLog log(10);
    EXPECT_EQ(log.last_seq(), 0u);
    EXPECT_EQ(log.record(connected("a")), 1u);
    EXPECT_EQ(log.record(connected("b")), 2u);
    const auto all = log.since(0, 100);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].seq, 1u);
    EXPECT_EQ(all[0].event.client_id, "a");
    EXPECT_EQ(all[1].seq, 2u);
    EXPECT_EQ(log.last_seq(), 2u);
}

TEST(EventLog, RingKeepsTheNewestCapacityEvents) {
    EventLog log(3);
    for (int i = 1; i <= 7; ++i) log.record(connected("c" + std::to_string(i)));
    const auto all = log.since(0, 100);
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].seq, 5u);
    EXPECT_EQ(all[2].seq, 7u);
    EXPECT_EQ(all[2].event.client_id, "c7");
    // Asking from before the oldest kept event returns what is left.
    EXPECT_EQ(log.since(2, 100).front().seq, 5u);
}

TEST(EventLog, SinceAndLimitPage) {
    EventLog log(100);
    for (int i = 0; i < 10; ++i) log.record(connected("c"));
    auto page = log.since(3, 4);
    ASSERT_EQ(page.size(), 4u);
    EXPECT_EQ(page.front().seq, 4u);
    EXPECT_EQ(page.back().seq, 7u);
    page = log.since(page.back().seq, 4);
    ASSERT_EQ(page.size(), 3u);
    EXPECT_EQ(page.front().seq, 8u);
    EXPECT_TRUE(log.since(10, 4).empty());
    EXPECT_TRUE(log.since(1000, 4).empty());
    EXPECT_TRUE(log.since(0, 0).empty());
}

TEST(EventLog, ListenersSeeEventsInOrderUntilUnlistened) {
    EventLog log(2);
    std::vector<std::uint64_t> seen;
    const auto id = log.listen([&](const LoggedEvent& e) { seen.push_back(e.seq); });
    log.record(connected("a"));
    log.record(connected("b"));
    log.unlisten(id);
    log.record(connected("c"));
    EXPECT_EQ(seen, (std::vector<std::uint64_t>{1, 2}));
}

TEST(EventLog, TotalsCountByType) {
    EventLog log(1);
    log.record(connected("a"));
    Event gone;
    gone.type = EventType::client_disconnected;
    log.record(gone);
    log.record(gone);
    const auto totals = log.totals();
    EXPECT_EQ(totals[static_cast<std::size_t>(EventType::client_connected)], 1u);
    EXPECT_EQ(totals[static_cast<std::size_t>(EventType::client_disconnected)], 2u);
}

TEST(EventJson, DisconnectedCarriesEmqxFields) {
    Event e = connected("dev-1");
    e.type = EventType::client_disconnected;
    e.username = "alice";
    e.address = "127.0.0.1";
    e.port = 50000;
    e.local_port = 1883;
    e.protocol = "mqtt";
    e.keepalive = 30;
    e.clean_session = false;
    e.reason = "keepalive_timeout";
    const auto j = mqgate::events::event_to_json(42, e);
    EXPECT_EQ(j["seq"], 42);
    EXPECT_EQ(j["event"], "client.disconnected");
    EXPECT_EQ(j["clientid"], "dev-1");
    EXPECT_EQ(j["username"], "alice");
    EXPECT_EQ(j["ipaddress"], "127.0.0.1");
    EXPECT_EQ(j["sockport"], 1883);
    EXPECT_EQ(j["proto_name"], "MQTT");
    EXPECT_EQ(j["proto_ver"], 4);
    EXPECT_EQ(j["keepalive"], 30);
    EXPECT_EQ(j["clean_session"], false);
    EXPECT_EQ(j["reason"], "keepalive_timeout");
    EXPECT_EQ(j["ts"], 1714566896789);
    EXPECT_EQ(j["time"], "2024-05-01T12:34:56.789Z");
    EXPECT_FALSE(j.contains("payload"));
}

TEST(EventJson, WillCarriesTopicPayloadQosRetain) {
    Event e = connected("dev-1");
    e.type = EventType::will_published;
    e.topic = "status/dev-1";
    e.payload = std::string("\xFF\x00", 2);
    e.qos = 1;
    e.retain = true;
    const auto j = mqgate::events::event_to_json(1, e);
    EXPECT_EQ(j["event"], "will.published");
    EXPECT_EQ(j["topic"], "status/dev-1");
    EXPECT_EQ(j["payload"], "/wA=");
    EXPECT_EQ(j["encoding"], "base64");
    EXPECT_EQ(j["qos"], 1);
    EXPECT_EQ(j["retain"], true);
}

TEST(EventJson, SubscribedCarriesFilterAndQos) {
    Event e = connected("dev-1");
    e.type = EventType::session_subscribed;
    e.topic = "a/+/c";
    e.qos = 2;
    const auto j = mqgate::events::event_to_json(1, e);
    EXPECT_EQ(j["event"], "session.subscribed");
    EXPECT_EQ(j["topic"], "a/+/c");
    EXPECT_EQ(j["qos"], 2);
}

TEST(EventJson, TimeFormat) {
    EXPECT_EQ(mqgate::events::rfc3339_utc(0), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(mqgate::events::rfc3339_utc(-1), "1969-12-31T23:59:59.999Z");
}

}  // namespace
