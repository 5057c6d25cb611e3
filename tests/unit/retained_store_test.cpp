#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
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

// Every topic the store matches to `filter`, in the order it reports them.
std::vector<std::string> scan_all(const RetainedStore& store, std::string_view filter) {
    std::vector<std::string> out;
    const auto scan = store.scan(filter, "", SIZE_MAX, [&](const MessagePtr& msg) {
        out.push_back(msg->topic);
        return true;
    });
    EXPECT_TRUE(scan.done);
    return out;
}

Topics matched(const RetainedStore& store, std::string_view filter) {
    const auto all = scan_all(store, filter);
    return Topics(all.begin(), all.end());
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
    EXPECT_EQ(scan_all(*store, "t"), std::vector<std::string>{"t"});
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
    EXPECT_EQ(scan_all(*store, "s/+"), (std::vector<std::string>{"s/a", "s/b", "s/c"}));
}

// One scan of at most `budget` topics after `after`, stopping after `limit` matches.
struct Step {
    std::vector<std::string> topics;
    mqgate::mqtt::RetainedScan scan;
};
Step step(const RetainedStore& store, std::string_view filter, std::string_view after, std::size_t budget,
          std::size_t limit = SIZE_MAX) {
    Step out;
    out.scan = store.scan(filter, after, budget, [&](const MessagePtr& msg) {
        out.topics.push_back(msg->topic);
        return out.topics.size() < limit;
    });
    return out;
}

TEST_F(RetainedStoreTest, ScanOrderIsBytewiseByTopic) {
    put_all({"b", "a/b", "a", "a!x", "a/", "$SYS/x", "B"});
    // '!' < '/' < 'B' < 'a' < 'b': the order of the topic's bytes, not of its levels.
    EXPECT_EQ(scan_all(*store, "#"), (std::vector<std::string>{"B", "a", "a!x", "a/", "a/b", "b"}));
    EXPECT_EQ(scan_all(*store, "$SYS/#"), std::vector<std::string>{"$SYS/x"});
}

TEST_F(RetainedStoreTest, CursorPagesGiveEveryMatchOnceInOrder) {
    std::vector<std::string> all;
    for (int i = 0; i < 2500; ++i) {
        all.push_back("p/" + std::to_string(i));
        store->put(message(all.back()));
        store->put(message("q/" + std::to_string(i)));  // outside the filter's range
    }
    std::sort(all.begin(), all.end());
    std::vector<std::string> seen;
    std::string after;
    for (int calls = 0; calls < 100; ++calls) {
        const auto page = step(*store, "p/#", after, 1000, 100);
        EXPECT_LE(page.topics.size(), 100u);
        seen.insert(seen.end(), page.topics.begin(), page.topics.end());
        if (page.scan.done) break;
        EXPECT_EQ(page.scan.last, page.topics.back());
        after = page.scan.last;
    }
    EXPECT_EQ(seen, all);
}

TEST_F(RetainedStoreTest, BudgetBoundsTheTopicsExaminedAndTheCursorResumes) {
    for (int i = 0; i < 50; ++i) store->put(message("t/" + std::to_string(100 + i)));
    store->put(message("u/x"));
    // "+/x" has no literal prefix: every stored topic is in range, 10 per call.
    auto first = step(*store, "+/x", "", 10);
    EXPECT_TRUE(first.topics.empty());
    EXPECT_FALSE(first.scan.done);
    EXPECT_EQ(first.scan.last, "t/109");
    std::vector<std::string> found;
    std::string after = first.scan.last;
    int calls = 1;
    for (; calls < 20; ++calls) {
        const auto next = step(*store, "+/x", after, 10);
        found.insert(found.end(), next.topics.begin(), next.topics.end());
        after = next.scan.last;
        if (next.scan.done) break;
    }
    EXPECT_EQ(found, std::vector<std::string>{"u/x"});
    EXPECT_EQ(calls, 5);  // 51 topics, 10 per call
}

TEST_F(RetainedStoreTest, LiteralPrefixSeeksPastOtherTopics) {
    for (int i = 0; i < 100; ++i) store->put(message("a/" + std::to_string(i)));
    put_all({"m", "m/n", "m/n/o", "mx", "z"});
    // With a budget of one topic, the first topic examined is already in range.
    auto one = step(*store, "m/#", "", 1);
    EXPECT_EQ(one.topics, std::vector<std::string>{"m"});
    EXPECT_FALSE(one.scan.done);
    // "mx" starts with the prefix "m": examined, not matched, then the range ends.
    const auto below = step(*store, "m/#", "m", 10);
    EXPECT_EQ(below.topics, (std::vector<std::string>{"m/n", "m/n/o"}));
    EXPECT_EQ(below.scan.last, "mx");
    EXPECT_TRUE(below.scan.done);
    const auto rest = step(*store, "m/+", "", 10);
    EXPECT_EQ(rest.topics, std::vector<std::string>{"m/n"});
    EXPECT_TRUE(rest.scan.done);
    // An exact topic is a range of one.
    const auto exact = step(*store, "m/n", "", 1);
    EXPECT_EQ(exact.topics, std::vector<std::string>{"m/n"});
    EXPECT_TRUE(exact.scan.done);
}

TEST_F(RetainedStoreTest, ScanAfterTheEndOrOnAnEmptyStoreIsDone) {
    const auto empty = step(*store, "#", "", 10);
    EXPECT_TRUE(empty.topics.empty());
    EXPECT_TRUE(empty.scan.done);
    EXPECT_EQ(empty.scan.last, "");
    put_all({"a", "b"});
    const auto past = step(*store, "#", "b", 10);
    EXPECT_TRUE(past.topics.empty());
    EXPECT_TRUE(past.scan.done);
    // A cursor need not be a stored topic: the scan goes on from the next one.
    EXPECT_EQ(step(*store, "#", "a0", 10).topics, std::vector<std::string>{"b"});
}

TEST_F(RetainedStoreTest, ReplacingKeepsOnePlaceInTheOrder) {
    put_all({"a", "b", "c"});
    store->put(message("b", "new"));
    EXPECT_EQ(store->size(), 3u);
    EXPECT_EQ(scan_all(*store, "#"), (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(store->get("b")->payload, "new");
}

}  // namespace
