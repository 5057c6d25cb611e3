#include <gtest/gtest.h>

#include <set>
#include <string>

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
    first.subscriptions["a/#"] = 1;
    // Enough insertions to force the map to rehash several times.
    for (int i = 0; i < 2000; ++i) store->create("c" + std::to_string(i));
    for (int i = 0; i < 2000; i += 2) store->erase("c" + std::to_string(i));
    EXPECT_EQ(store->find("first"), &first);
    EXPECT_EQ(first.subscriptions.at("a/#"), 1);
    EXPECT_EQ(store->size(), 1001u);
}

TEST(MemorySessionStore, CreateReplacesAnExistingSession) {
    auto store = make_memory_session_store();
    SessionState& old = store->create("c");
    old.subscriptions["t"] = 2;
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
