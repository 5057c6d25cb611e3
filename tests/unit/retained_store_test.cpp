#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "mqtt/storage.hpp"

namespace {

using mqgate::mqtt::make_memory_retained_store;
using mqgate::mqtt::Message;
using mqgate::mqtt::MessagePtr;
using mqgate::mqtt::RetainedStore;
using Topics = std::multiset<std::string>;

MessagePtr message(std::string topic, std::string payload = "p") {
    auto msg = std::make_shared<Message>();
    msg->topic = std::move(topic);
    msg->payload = std::move(payload);
    msg->retain = true;
    return msg;
}

Topics matched(const RetainedStore& store, std::string_view filter) {
    Topics out;
    store.match(filter, [&](const MessagePtr& msg) { out.insert(msg->topic); });
    return out;
}

class RetainedStoreTest : public ::testing::Test {
protected:
    void put_all(std::initializer_list<const char*> topics) {
        for (const char* topic : topics) store->put(message(topic));
    }

    std::shared_ptr<RetainedStore> store = make_memory_retained_store();
};

TEST_F(RetainedStoreTest, GetByExactTopic) {
    put_all({"a/b", "a/b/c"});
    ASSERT_NE(store->get("a/b"), nullptr);
    EXPECT_EQ(store->get("a/b")->topic, "a/b");
    EXPECT_EQ(store->get("a/b/c")->topic, "a/b/c");
    EXPECT_EQ(store->get("a"), nullptr);  // an inner node holds no message
    EXPECT_EQ(store->get("a/b/c/d"), nullptr);
    EXPECT_EQ(store->get("a/b/"), nullptr);
    EXPECT_EQ(store->get("a/+"), nullptr);  // get does not interpret wildcards
    EXPECT_EQ(store->size(), 2u);
}

TEST_F(RetainedStoreTest, PutReplacesTheMessageOnTheSameTopic) {
    store->put(message("t", "old"));
    store->put(message("t", "new"));
    EXPECT_EQ(store->size(), 1u);
    EXPECT_EQ(store->get("t")->payload, "new");
    std::vector<std::string> payloads;
    store->match("t", [&](const MessagePtr& msg) { payloads.push_back(msg->payload); });
    EXPECT_EQ(payloads, std::vector<std::string>{"new"});
}

TEST_F(RetainedStoreTest, MatchWithWildcards) {
    put_all({"sport/tennis/player1", "sport/tennis/player1/ranking", "sport/tennis/player1/score/wimbledon",
             "sport/tennis/player2", "sport", "sport/", "finance", "/finance"});
    EXPECT_EQ(matched(*store, "sport/tennis/player1/#"),
              (Topics{"sport/tennis/player1", "sport/tennis/player1/ranking", "sport/tennis/player1/score/wimbledon"}));
    EXPECT_EQ(matched(*store, "sport/tennis/+"), (Topics{"sport/tennis/player1", "sport/tennis/player2"}));
    EXPECT_EQ(matched(*store, "sport/+"), (Topics{"sport/"}));
    EXPECT_EQ(matched(*store, "sport/#"), (Topics{"sport", "sport/", "sport/tennis/player1", "sport/tennis/player1/ranking",
                                                  "sport/tennis/player1/score/wimbledon", "sport/tennis/player2"}));
    EXPECT_EQ(matched(*store, "+"), (Topics{"sport", "finance"}));
    EXPECT_EQ(matched(*store, "+/+"), (Topics{"sport/", "/finance"}));
    EXPECT_EQ(matched(*store, "/+"), (Topics{"/finance"}));
    EXPECT_EQ(matched(*store, "+/tennis/+/#"), (Topics{"sport/tennis/player1", "sport/tennis/player1/ranking",
                                                       "sport/tennis/player1/score/wimbledon", "sport/tennis/player2"}));
    EXPECT_EQ(matched(*store, "finance"), (Topics{"finance"}));
    EXPECT_TRUE(matched(*store, "sport/tennis").empty());
    EXPECT_TRUE(matched(*store, "nothing/#").empty());
    EXPECT_EQ(matched(*store, "#").size(), 8u);
}

TEST_F(RetainedStoreTest, WildcardsAtTheFirstLevelSkipDollarTopics) {
    put_all({"$SYS/monitor/Clients", "$SYS", "monitor/Clients", "a/$b"});
    EXPECT_EQ(matched(*store, "#"), (Topics{"monitor/Clients", "a/$b"}));
    EXPECT_TRUE(matched(*store, "+/monitor/Clients").empty());
    EXPECT_EQ(matched(*store, "+"), Topics{});
    EXPECT_EQ(matched(*store, "$SYS/#"), (Topics{"$SYS", "$SYS/monitor/Clients"}));
    EXPECT_EQ(matched(*store, "$SYS/monitor/+"), (Topics{"$SYS/monitor/Clients"}));
    EXPECT_EQ(matched(*store, "a/+"), (Topics{"a/$b"}));  // the rule is about the first level only
}

TEST_F(RetainedStoreTest, EmptyLevelsAreDistinctTopics) {
    put_all({"a//b", "a/b", "a/b/", "/", "a/"});
    EXPECT_EQ(store->size(), 5u);
    EXPECT_EQ(matched(*store, "a/b"), (Topics{"a/b"}));
    EXPECT_EQ(matched(*store, "a//b"), (Topics{"a//b"}));
    EXPECT_EQ(matched(*store, "a/+/b"), (Topics{"a//b"}));
    EXPECT_EQ(matched(*store, "a/+"), (Topics{"a/b", "a/"}));
    EXPECT_EQ(matched(*store, "+/+"), (Topics{"/", "a/b", "a/"}));
    EXPECT_EQ(matched(*store, "a/b/+"), (Topics{"a/b/"}));
    EXPECT_EQ(store->get("/")->topic, "/");
}

TEST_F(RetainedStoreTest, EraseRemovesAndPrunes) {
    put_all({"a/b/c", "a/b", "x/y/z"});
    EXPECT_FALSE(store->erase("a"));      // inner node without a message
    EXPECT_FALSE(store->erase("a/b/c/d"));
    EXPECT_FALSE(store->erase("q"));
    EXPECT_EQ(store->size(), 3u);

    EXPECT_TRUE(store->erase("a/b/c"));
    EXPECT_FALSE(store->erase("a/b/c"));
    EXPECT_EQ(store->size(), 2u);
    EXPECT_EQ(store->get("a/b/c"), nullptr);
    EXPECT_EQ(store->get("a/b")->topic, "a/b");  // the parent's message survives
    EXPECT_EQ(matched(*store, "a/#"), (Topics{"a/b"}));

    EXPECT_TRUE(store->erase("a/b"));
    EXPECT_TRUE(store->erase("x/y/z"));
    EXPECT_EQ(store->size(), 0u);
    EXPECT_TRUE(matched(*store, "#").empty());

    store->put(message("a/b/c", "again"));
    EXPECT_EQ(store->get("a/b/c")->payload, "again");
    EXPECT_EQ(matched(*store, "#"), (Topics{"a/b/c"}));
}

TEST_F(RetainedStoreTest, MatchOrderIsDeterministic) {
    put_all({"s/c", "s/a", "s/b"});
    std::vector<std::string> order;
    store->match("s/+", [&](const MessagePtr& msg) { order.push_back(msg->topic); });
    EXPECT_EQ(order, (std::vector<std::string>{"s/a", "s/b", "s/c"}));
}

}  // namespace
