#include <gtest/gtest.h>

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
        seen.insert(s.client_id);
        ++s.dropped;
    });
    EXPECT_EQ(seen, (std::set<std::string>{"a", "b", "c"}));
    EXPECT_EQ(store->find("b")->dropped, 1u);
}

TEST(MemorySessionStore, CommitLeavesTheStateAsIs) {
    auto store = make_memory_session_store();
    SessionState& s = store->create("p");
    s.clean_session = false;
    s.messages_in = 3;
    store->commit(s);
    EXPECT_EQ(store->find("p"), &s);
    EXPECT_EQ(store->find("p")->messages_in, 3u);
    EXPECT_EQ(store->size(), 1u);
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
