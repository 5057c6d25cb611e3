// The JSON stream's state without sockets: ops and answers, retained replay
// in chunks beside live messages, the bounded queue's drop and overflow policy, event filter and resume.
#include "http/stream_core.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "events/event_log.hpp"
#include "mqtt/broker.hpp"

namespace {

using mqgate::http::StreamCore;
using mqgate::http::StreamItem;
using nlohmann::json;

// Counts what the core tells its transport.
struct Signals final : mqgate::http::StreamSignals {
    void wake() override { ++wakes; }
    void overflow() override { ++overflows; }
    int wakes = 0;
    int overflows = 0;
};

struct Fixture {
    explicit Fixture(mqgate::http::StreamLimits limits = {}) {
        core = std::make_shared<StreamCore>(std::make_shared<mqgate::http::StreamHub>(broker), events, limits, signals);
    }
    std::vector<json> drain() {
        std::vector<json> out;
        StreamItem item;
        while (core->next(item)) out.push_back(json::parse(*item.json));
        return out;
    }
    mqgate::mqtt::Broker broker{mqgate::mqtt::BrokerOptions{}};
    mqgate::events::EventLog events{100};
    std::shared_ptr<Signals> signals = std::make_shared<Signals>();
    int& wakes = signals->wakes;
    int& overflows = signals->overflows;
    std::shared_ptr<StreamCore> core;
};

mqgate::mqtt::Event connected(const std::string& id) {
    mqgate::mqtt::Event e;
    e.type = mqgate::mqtt::EventType::client_connected;
    e.client_id = id;
    return e;
}

TEST(StreamCore, AckThenRetainedThenLive) {
    Fixture f;
    f.broker.publish("a/b/c", "old", 1, true);
    f.core->handle(R"({"op":"subscribe","id":1,"filter":"a/+/c","qos":1})");
    f.broker.publish("a/x/c", "new", 2, true);
    const auto out = f.drain();
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0], json::parse(R"({"type":"ack","id":1,"op":"subscribe","filter":"a/+/c","qos":1})"));
    EXPECT_EQ(out[1]["payload"], "old");
    EXPECT_EQ(out[1]["retain"], true);
    EXPECT_EQ(out[2]["payload"], "new");
    EXPECT_EQ(out[2]["retain"], false);  // live: the flag is not passed on
    EXPECT_EQ(out[2]["qos"], 1);         // the lower of published and subscribed
    EXPECT_EQ(f.wakes, 1);               // one wake while the transport was idle
}

TEST(StreamCore, ErrorsEchoTheIdAndKeepGoing) {
    Fixture f;
    f.core->handle("not json");
    f.core->handle(R"({"op":"publish","id":"p","topic":"a/#"})");
    f.core->handle(R"({"op":"ping","id":[1]})");
    f.core->handle(R"({"op":"ping","id":7})");
    const auto out = f.drain();
    ASSERT_EQ(out.size(), 4u);
    EXPECT_EQ(out[0]["error"]["code"], "invalid_json");
    EXPECT_TRUE(out[0]["id"].is_null());
    EXPECT_EQ(out[1]["id"], "p");
    EXPECT_EQ(out[1]["error"]["code"], "invalid_topic");
    EXPECT_EQ(out[2]["error"]["code"], "invalid_id");
    EXPECT_EQ(out[3], json::parse(R"({"type":"pong","id":7})"));
}

// A proxy reading the first "topic" would see another message than the gateway.
TEST(StreamCore, RepeatedKeysAndDeepNestingAreInvalidJson) {
    Fixture f;
    f.core->handle(R"({"op":"publish","id":1,"topic":"public/x","payload":"p","topic":"secret/y"})");
    f.core->handle(R"({"op":"ping","id":2,"x":)" + std::string(100, '[') + std::string(100, ']') + "}");
    f.core->handle(R"({"op":"ping","id":3,"x":{"a":[{"b":1}]}})");
    const auto out = f.drain();
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0]["error"]["code"], "invalid_json");
    EXPECT_NE(out[0]["error"]["message"].get<std::string>().find("duplicate key 'topic'"), std::string::npos);
    EXPECT_EQ(out[1]["error"]["code"], "invalid_json");
    EXPECT_EQ(out[2], json::parse(R"({"type":"pong","id":3})"));
}

TEST(StreamCore, RetainedReplayGoesInChunksAsTheQueueEmptiesAndSendsEachOnce) {
    // 10 frames: chunks of 2, five times more retained messages than fit.
    Fixture f({1 << 20, 10, 100});
    std::vector<std::string> topics;
    for (int i = 0; i < 50; ++i) {
        topics.push_back("r/" + std::to_string(i));
        f.broker.publish(topics.back(), "v", 1, true);
    }
    std::sort(topics.begin(), topics.end());
    f.core->subscribe("r/#", 1);
    f.broker.publish("r/live", "now", 1, false);  // live, while the replay has just begun
    f.broker.publish("r/9z", "late", 1, true);    // stored mid-replay, after the cursor: replayed too
    std::vector<std::string> replayed;
    int live = 0;
    for (const auto& frame : f.drain()) {
        if (frame["retain"] == true) replayed.push_back(frame["topic"]);
        if (frame["retain"] == false) ++live;
    }
    EXPECT_EQ(f.overflows, 0);
    topics.insert(std::upper_bound(topics.begin(), topics.end(), "r/9z"), "r/9z");
    EXPECT_EQ(replayed, topics);
    EXPECT_EQ(live, 2);
}

TEST(StreamCore, UnsubscribeStopsTheReplay) {
    Fixture f({1 << 20, 10, 100});
    for (int i = 0; i < 20; ++i) f.broker.publish("u/" + std::to_string(i), "v", 1, true);
    f.core->subscribe("u/#", 1);
    f.core->unsubscribe("u/#");
    const auto out = f.drain();
    EXPECT_EQ(out.size(), 2u);  // the first chunk, queued with the subscribe
}

TEST(StreamCore, QosZeroIsDroppedWhenHalfFullAndCountedLater) {
    Fixture f({1 << 20, 10, 100});
    f.core->subscribe("t", 0);
    for (int i = 0; i < 8; ++i) f.broker.publish("t", "m", 0, false);
    EXPECT_EQ(f.overflows, 0);
    const auto out = f.drain();
    ASSERT_EQ(out.size(), 6u);  // 5 queued (half of 10 frames), then the count
    EXPECT_EQ(out[5], json::parse(R"({"type":"dropped","count":3})"));
}

// A consumer that keeps the queue near half full must not get a notice per
// message: once drops start they go on until the queue is down to a quarter.
TEST(StreamCore, DropsLastUntilAQuarterIsLeftSoNoticesStayFew) {
    Fixture f({1 << 20, 40, 100});
    f.core->subscribe("t", 0);
    int sent = 0;
    int received = 0;
    int notices = 0;
    std::uint64_t dropped = 0;
    int last = -1;
    const auto take = [&](const json& j) {
        if (j["type"] == "dropped") {
            ++notices;
            dropped += j["count"].get<std::uint64_t>();
            return;
        }
        const int n = std::stoi(j["payload"].get<std::string>());
        EXPECT_GT(n, last);  // in order
        last = n;
        ++received;
    };
    // A consumer reading one frame for every two messages published.
    for (int round = 0; round < 200; ++round) {
        for (int k = 0; k < 2; ++k) f.broker.publish("t", std::to_string(sent++), 0, false);
        StreamItem item;
        if (f.core->next(item)) take(json::parse(*item.json));
    }
    for (const auto& j : f.drain()) take(j);
    EXPECT_EQ(static_cast<std::uint64_t>(sent), received + dropped);
    EXPECT_GT(dropped, 0u);
    // Each run of drops ends only after 10 frames (a quarter) were sent.
    EXPECT_LE(notices * 10, received + notices);
}

TEST(StreamCore, OverTheLimitOverflowsOnceAndFreesTheQueue) {
    Fixture f({1 << 20, 10, 100});
    f.core->subscribe("t", 1);
    for (int i = 0; i < 20; ++i) f.broker.publish("t", "m", 1, false);
    EXPECT_EQ(f.overflows, 1);
    EXPECT_TRUE(f.core->overflowed());
    EXPECT_TRUE(f.drain().empty());
}

TEST(StreamCore, ByteLimitCountsToo) {
    Fixture f({4096, 1000, 100});
    f.core->subscribe("t", 1);
    for (int i = 0; i < 4; ++i) f.broker.publish("t", std::string(1500, 'x'), 1, false);
    EXPECT_EQ(f.overflows, 1);
}

TEST(StreamCore, EventsAreOffUntilAskedAndFiltered) {
    Fixture f;
    f.events.record(connected("before"));
    f.core->handle(R"({"op":"events","id":1,"filter":["client.disconnected"]})");
    f.events.record(connected("skipped"));
    auto gone = connected("left");
    gone.type = mqgate::mqtt::EventType::client_disconnected;
    gone.reason = "normal";
    f.events.record(gone);
    const auto out = f.drain();
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0]["type"], "ack");
    EXPECT_EQ(out[1]["type"], "event");
    EXPECT_EQ(out[1]["clientid"], "left");
    EXPECT_EQ(out[1]["reason"], "normal");
}

TEST(StreamCore, ResumeReplaysLaterEventsOnceThenLive) {
    Fixture f;
    const auto first = f.events.record(connected("one"));
    f.events.record(connected("two"));
    f.events.record(connected("three"));
    mqgate::http::EventMask all;
    all.set();
    f.core->enable_events(all, first);
    f.events.record(connected("four"));
    const auto out = f.drain();
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0]["clientid"], "two");
    EXPECT_EQ(out[1]["clientid"], "three");
    EXPECT_EQ(out[2]["clientid"], "four");
}

TEST(StreamCore, CloseUnsubscribesFromTheBroker) {
    Fixture f;
    f.core->subscribe("t/#", 0);
    EXPECT_EQ(f.broker.publish("t/x", "m", 0, false).matched, 1u);
    f.core->close();
    EXPECT_EQ(f.broker.publish("t/x", "m", 0, false).matched, 0u);
    f.core->subscribe("u", 0);
    f.core.reset();
    EXPECT_EQ(f.broker.publish("u", "m", 0, false).matched, 0u);
}

}  // namespace
