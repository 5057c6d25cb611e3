// Streams subscribed to the same filter share one broker subscription: each
// still gets every message, at its own QoS, and leaving does not cut the
// others off.
#include "http/stream_hub.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "events/event_log.hpp"
#include "http/stream_core.hpp"
#include "mqtt/broker.hpp"

namespace {

using mqgate::http::StreamCore;
using mqgate::http::StreamItem;
using nlohmann::json;

std::vector<json> messages(StreamCore& core) {
    std::vector<json> out;
    StreamItem item;
    while (core.next(item)) {
        auto j = json::parse(*item.json);
        if (j["type"] == "message") out.push_back(std::move(j));
    }
    return out;
}

TEST(StreamHub, StreamsOnOneFilterShareOneBrokerSubscription) {
    mqgate::mqtt::Broker broker{mqgate::mqtt::BrokerOptions{}};
    mqgate::events::EventLog events{10};
    auto hub = std::make_shared<mqgate::http::StreamHub>(broker);
    auto a = std::make_shared<StreamCore>(hub, events, mqgate::http::StreamLimits{}, std::weak_ptr<mqgate::http::StreamSignals>{});
    auto b = std::make_shared<StreamCore>(hub, events, mqgate::http::StreamLimits{}, std::weak_ptr<mqgate::http::StreamSignals>{});
    ASSERT_FALSE(a->subscribe("s/#", 0));
    ASSERT_FALSE(b->subscribe("s/#", 1));
    EXPECT_EQ(broker.stats().internal_subscriptions, 1u);

    EXPECT_EQ(broker.publish("s/1", "x", 1, false).matched, 1u);
    const auto got_a = messages(*a);
    const auto got_b = messages(*b);
    ASSERT_EQ(got_a.size(), 1u);
    ASSERT_EQ(got_b.size(), 1u);
    EXPECT_EQ(got_a[0]["qos"], 0);  // each at its own subscription's QoS
    EXPECT_EQ(got_b[0]["qos"], 1);

    a->close();
    broker.publish("s/2", "y", 0, false);
    EXPECT_TRUE(messages(*a).empty());
    EXPECT_EQ(messages(*b).size(), 1u);
    EXPECT_EQ(broker.stats().internal_subscriptions, 1u);
    b->unsubscribe("s/#");
    EXPECT_EQ(broker.stats().internal_subscriptions, 0u);
}

}  // namespace
