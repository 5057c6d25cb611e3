// The broker core used from several threads at once, as the transports and
// the HTTP side use it. Run under ThreadSanitizer by scripts/test.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "mqtt/broker.hpp"
#include "mqtt/codec.hpp"
#include "tests/threads/locked_connection.hpp"

using namespace mqgate::mqtt;

namespace {

using mqgate::mqtt::testing::LockedConnection;

TEST(BrokerThreads, ConcurrentPublishersApiAndObservers) {
    BrokerOptions options;
    options.limits.max_inflight = 1000;
    options.limits.max_queued_messages = 100000;
    options.limits.max_queued_bytes = 64 << 20;
    Broker broker(options);
    std::atomic<int> events{0};
    broker.observe([&](const Event&) { events.fetch_add(1); });
    std::atomic<int> api_messages{0};
    broker.subscribe("load/#", [&](const MessagePtr&) { api_messages.fetch_add(1); });

    auto sub_conn = std::make_shared<LockedConnection>();
    auto sub = broker.attach(sub_conn);
    Connect c;
    c.client_id = "subscriber";
    sub->packet(c);
    sub->packet(Subscribe{1, {{"load/#", 1}}});

    constexpr int publishers = 4;
    constexpr int per_publisher = 500;
    std::vector<std::thread> threads;
    for (int t = 0; t < publishers; ++t) {
        threads.emplace_back([&broker, t] {
            auto conn = std::make_shared<LockedConnection>();
            auto link = broker.attach(conn);
            Connect pc;
            pc.client_id = "pub-" + std::to_string(t);
            link->packet(pc);
            for (int i = 0; i < per_publisher; ++i) {
                link->packet(Publish{false, 1, (i % 50) == 0, "load/" + std::to_string(t), static_cast<std::uint16_t>(i + 1),
                                     std::to_string(i)});
            }
            link->packet(Disconnect{});
            link->closed(DisconnectReason::normal);
        });
    }
    threads.emplace_back([&broker] {
        for (int i = 0; i < 200; ++i) {
            (void)broker.clients();
            (void)broker.stats();
            (void)broker.retained_page("#", "", 100, 1000);
            broker.publish("load/api", "x", 0, false);
        }
    });
    for (auto& th : threads) th.join();

    // Every QoS 1 message reached the subscriber once, in order per publisher.
    // Acknowledging frees the in-flight window for the queued rest, so drain
    // in rounds (bounded: each round frees up to max_inflight messages).
    std::map<std::string, int> next;
    int received = 0;
    for (int round = 0; round < 100; ++round) {
        auto packets = sub_conn->take();
        if (packets.empty()) break;
        for (Packet& p : packets) {
            auto* pub = std::get_if<Publish>(&p);
            if (!pub) continue;
            sub->packet(Puback{pub->packet_id});
            if (pub->topic == "load/api") continue;
            ASSERT_EQ(std::to_string(next[pub->topic]++), pub->payload) << pub->topic;
            ++received;
        }
    }
    EXPECT_EQ(received, publishers * per_publisher);
    EXPECT_EQ(api_messages.load(), publishers * per_publisher + 200);
    EXPECT_GE(events.load(), 2 * publishers);
    sub->closed(DisconnectReason::network_error);
}

}  // namespace
