#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "mqtt/storage.hpp"

namespace {

using mqgate::mqtt::make_memory_session_store;
using mqgate::mqtt::SessionState;

TEST(MemorySessionStore, CreateFindErase) {
    auto store = make_memory_session_store();
    EXPECT_EQ(store->find("c1"), nullptr);
    SessionState& s = store->create("c1");
    EXPECT_EQ(s.client_id, "c1");
    EXPECT_EQ(store->find("c1"), &s);
    EXPECT_EQ(store->find("c2"), nullptr);
    EXPECT_EQ(store->size(), 1u);

    store->erase("c1");
    EXPECT_EQ(store->find("c1"), nullptr);
    EXPECT_EQ(store->size(), 0u);
    store->erase("c1");  // erasing an unknown id is harmless
    EXPECT_EQ(store->size(), 0u);
}

TEST(MemorySessionStore, AddressesStayStableWhileOthersComeAndGo) {
    auto store = make_memory_session_store();
    SessionState& first = store->create("first");
    first.subscriptions.set("a/#", 1);
    // Enough insertions to force the map to rehash several times.
    for (int i = 0; i < 2000; ++i) store->create("c" + std::to_string(i));
    for (int i = 0; i < 2000; i += 2) store->erase("c" + std::to_string(i));
    EXPECT_EQ(store->find("first"), &first);
    EXPECT_EQ(first.subscriptions.find("a/#")->second, 1);
    EXPECT_EQ(store->size(), 1001u);
}

TEST(MemorySessionStore, CreateReplacesAnExistingSession) {
    auto store = make_memory_session_store();
    SessionState& old = store->create("c");
    old.subscriptions.set("t", 2);
    old.last_packet_id = 9;
    old.clean_session = false;

    SessionState& fresh = store->create("c");
    EXPECT_EQ(store->size(), 1u);
    EXPECT_EQ(store->find("c"), &fresh);
    EXPECT_EQ(fresh.client_id, "c");
    EXPECT_TRUE(fresh.subscriptions.empty());
    EXPECT_EQ(fresh.last_packet_id, 0);
    EXPECT_TRUE(fresh.clean_session);
}

TEST(MemorySessionStore, CreateMayBeGivenTheReplacedSessionsOwnId) {
    auto store = make_memory_session_store();
    SessionState& old = store->create("a-client-id-longer-than-fifteen-chars");
    old.messages_in = 5;
    // The id viewed here lives in the block that create() replaces.
    SessionState& fresh = store->create(old.client_id);
    EXPECT_EQ(fresh.client_id, "a-client-id-longer-than-fifteen-chars");
    EXPECT_EQ(fresh.messages_in, 0u);
    EXPECT_EQ(store->find("a-client-id-longer-than-fifteen-chars"), &fresh);
    EXPECT_EQ(store->size(), 1u);
}

TEST(MemorySessionStore, ManyIdsAcrossGrowthAndErasure) {
    auto store = make_memory_session_store();
    // Short and long ids (either side of std::string's small buffer), enough
    // of them for the bucket array to grow many times.
    const auto id = [](int i) { return (i % 3 ? "bench-idle-" : "c") + std::to_string(i) + (i % 2 ? "-0-5678" : ""); };
    constexpr int n = 5000;
    std::vector<SessionState*> made;
    for (int i = 0; i < n; ++i) {
        SessionState& s = store->create(id(i));
        s.messages_in = static_cast<std::uint64_t>(i);
        made.push_back(&s);
    }
    ASSERT_EQ(store->size(), static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        SessionState* s = store->find(id(i));
        ASSERT_EQ(s, made[i]) << id(i);  // still where create() put it
        EXPECT_EQ(s->client_id, id(i));
        EXPECT_EQ(s->messages_in, static_cast<std::uint64_t>(i));
    }
    EXPECT_EQ(store->find("bench-idle-"), nullptr);
    EXPECT_EQ(store->find(id(n)), nullptr);

    for (int i = 0; i < n; i += 3) store->erase(id(i));
    std::set<std::string> expected;
    for (int i = 0; i < n; ++i) {
        if (i % 3) expected.insert(id(i));
        EXPECT_EQ(store->find(id(i)) != nullptr, i % 3 != 0) << id(i);
    }
    EXPECT_EQ(store->size(), expected.size());
    std::set<std::string> seen;
    std::size_t visits = 0;
    store->for_each([&](SessionState& s) {
        seen.emplace(s.client_id);
        ++visits;
    });
    EXPECT_EQ(visits, expected.size());
    EXPECT_EQ(seen, expected);

    // Erased ids can come back; existing ones are replaced, not duplicated.
    for (int i = 0; i < n; i += 2) store->create(id(i));
    std::size_t back = expected.size();
    for (int i = 0; i < n; i += 2) back += i % 3 == 0;
    EXPECT_EQ(store->size(), back);
    for (int i = 0; i < n; ++i) {
        SessionState* s = store->find(id(i));
        ASSERT_EQ(s != nullptr, i % 3 != 0 || i % 2 == 0) << id(i);
        if (s) {
            EXPECT_EQ(s->client_id, id(i));
        }
    }
    for (int i = 0; i < n; ++i) store->erase(id(i));
    EXPECT_EQ(store->size(), 0u);
    store->for_each([](SessionState&) { ADD_FAILURE() << "no session is left"; });
}

TEST(SessionSubscriptions, EmptyUntilTheFirstAndAgainAfterTheLast) {
    mqgate::mqtt::SessionSubscriptions subs;
    EXPECT_TRUE(subs.empty());
    EXPECT_EQ(subs.size(), 0u);
    EXPECT_EQ(subs.begin(), subs.end());
    EXPECT_FALSE(subs.contains("a"));
    EXPECT_EQ(subs.find("a"), subs.end());
    EXPECT_FALSE(subs.erase("a"));

    subs.set("b/#", 1);
    subs.set("a", 0);
    subs.set("b/#", 2);  // replaces the QoS, no second entry
    EXPECT_FALSE(subs.empty());
    EXPECT_EQ(subs.size(), 2u);
    EXPECT_TRUE(subs.contains("a"));
    ASSERT_NE(subs.find("b/#"), subs.end());
    EXPECT_EQ(subs.find("b/#")->second, 2);
    std::vector<std::pair<std::string, int>> seen;
    for (const auto& [filter, qos] : subs) seen.emplace_back(filter, qos);
    EXPECT_EQ(seen, (std::vector<std::pair<std::string, int>>{{"a", 0}, {"b/#", 2}}));  // in filter order

    EXPECT_FALSE(subs.erase("c"));
    EXPECT_TRUE(subs.erase("a"));
    EXPECT_FALSE(subs.erase("a"));
    EXPECT_TRUE(subs.erase("b/#"));
    EXPECT_TRUE(subs.empty());
    EXPECT_EQ(subs.begin(), subs.end());
    subs.set("again", 1);  // usable after the last one went
    EXPECT_EQ(subs.size(), 1u);
}

TEST(MemorySessionStore, ForEachVisitsEverySessionMutably) {
    auto store = make_memory_session_store();
    for (const char* id : {"a", "b", "c"}) store->create(id);
    std::set<std::string> seen;
    store->for_each([&](SessionState& s) {
        seen.emplace(s.client_id);
        ++s.dropped;
    });
    EXPECT_EQ(seen, (std::set<std::string>{"a", "b", "c"}));
    EXPECT_EQ(store->find("b")->dropped, 1u);
}

TEST(MemorySessionStore, ClientIdsAreExactBytes) {
    auto store = make_memory_session_store();
    store->create("Client");
    store->create(std::string("a\0b", 3));
    EXPECT_EQ(store->find("client"), nullptr);
    EXPECT_NE(store->find("Client"), nullptr);
    EXPECT_EQ(store->find("a"), nullptr);
    ASSERT_NE(store->find(std::string_view("a\0b", 3)), nullptr);
    EXPECT_EQ(store->find(std::string_view("a\0b", 3))->client_id.size(), 3u);
}

}  // namespace
