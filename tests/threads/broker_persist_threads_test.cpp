// Durable storage where threads meet: publishers on their own threads, the
// store thread committing and releasing held acknowledgements, a subscriber
// acknowledging from another. Run under ThreadSanitizer by scripts/test.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include "mqtt/broker.hpp"
#include "store/store.hpp"
#include "tests/threads/locked_connection.hpp"

using namespace mqgate::mqtt;
using mqgate::mqtt::testing::LockedConnection;
namespace store = mqgate::store;

namespace {

TEST(BrokerPersistThreads, AcksComeAfterTheCommitInOrderFromEveryThread) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("mqgate-persist-threads-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                      "-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    std::filesystem::create_directories(dir);
    store::StoreOptions so;
    so.path = (dir / "mqgate.db").string();
    so.sync = store::Sync::normal;  // the threads, not the disk, are under test
    auto db = std::shared_ptr<store::Store>(store::Store::open(so));
    BrokerOptions options;
    options.limits.max_inflight = 50;
    options.limits.max_queued_messages = 100000;
    options.limits.max_queued_bytes = 64 << 20;
    Broker broker(options, nullptr, nullptr, nullptr, nullptr, db);

    // A persistent subscriber, so every QoS 1 message is stored and its PUBACK held for the commit.
    auto sub_conn = std::make_shared<LockedConnection>();
    auto sub = broker.attach(sub_conn);
    Connect c;
    c.client_id = "subscriber";
    c.clean_session = false;
    sub->packet(c);
    sub->packet(Subscribe{1, {{"load/#", 1}}});

    constexpr int publishers = 4;
    constexpr int per_publisher = 300;
    std::vector<std::thread> threads;
    std::vector<std::vector<std::uint16_t>> acks(publishers);
    for (int t = 0; t < publishers; ++t) {
        threads.emplace_back([&, t] {
            auto conn = std::make_shared<LockedConnection>();
            auto link = broker.attach(conn);
            Connect pc;
            pc.client_id = "pub-" + std::to_string(t);
            link->packet(pc);
            for (int i = 0; i < per_publisher; ++i) {
                link->packet(Publish{false, 1, false, "load/" + std::to_string(t), static_cast<std::uint16_t>(i + 1),
                                     std::to_string(i)});
            }
            // Bounded: every PUBACK arrives within the deadline or the test fails below.
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
            while (acks[t].size() < per_publisher + 1 && std::chrono::steady_clock::now() < deadline) {
                for (Packet& p : conn->wait_take(std::chrono::milliseconds(100))) {
                    if (auto* a = std::get_if<Puback>(&p)) acks[t].push_back(a->packet_id);
                    if (std::holds_alternative<Connack>(p)) acks[t].push_back(0);
                }
            }
            link->packet(Disconnect{});
            link->closed(DisconnectReason::normal);
        });
    }
    // The subscriber acknowledges what it gets, from its own thread, until every message came.
    std::set<std::string> received;
    threads.emplace_back([&] {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (received.size() < publishers * per_publisher && std::chrono::steady_clock::now() < deadline) {
            for (Packet& p : sub_conn->wait_take(std::chrono::milliseconds(100))) {
                if (auto* pub = std::get_if<Publish>(&p)) {
                    received.insert(pub->topic + "/" + pub->payload);
                    sub->packet(Puback{pub->packet_id});
                }
            }
        }
    });
    for (auto& th : threads) th.join();

    EXPECT_EQ(received.size(), static_cast<std::size_t>(publishers * per_publisher));
    for (int t = 0; t < publishers; ++t) {
        ASSERT_EQ(acks[t].size(), static_cast<std::size_t>(per_publisher + 1)) << "publisher " << t;
        EXPECT_EQ(acks[t][0], 0) << "CONNACK first";
        for (int i = 0; i < per_publisher; ++i) EXPECT_EQ(acks[t][i + 1], i + 1) << "PUBACKs in PUBLISH order";
    }
    db->flush();
    EXPECT_GT(db->stats().commits, 0u);
    sub->closed(DisconnectReason::network_error);
    db->close();
    std::filesystem::remove_all(dir);
}

}  // namespace
