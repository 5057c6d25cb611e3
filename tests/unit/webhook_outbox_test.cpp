// The outbox: per-client order, a failing event holds back its client only,
// the bound drops the oldest waiting event.
#include <gtest/gtest.h>

#include "webhooks/outbox.hpp"

namespace mqgate::webhooks {
namespace {

OutboxItem event(std::uint64_t id, std::string client) {
    OutboxItem item;
    item.id = id;
    item.client = std::move(client);
    item.body = "e" + std::to_string(id);
    return item;
}

// Ids take() hands out at `now`, until it has nothing.
std::vector<std::uint64_t> take_all(Outbox& box, std::int64_t now) {
    std::vector<std::uint64_t> ids;
    for (int i = 0; i < 100; ++i) {
        auto item = box.take(now);
        if (!item) break;
        ids.push_back(item->id);
    }
    return ids;
}

TEST(WebhookOutbox, OneEventPerClientInFlightInOrder) {
    Outbox box(100);
    box.push(event(1, "a"));
    box.push(event(2, "b"));
    box.push(event(3, "a"));
    box.push(event(4, "a"));
    EXPECT_EQ(take_all(box, 0), (std::vector<std::uint64_t>{1, 2}));
    box.finish(1);
    EXPECT_EQ(take_all(box, 0), (std::vector<std::uint64_t>{3}));
    box.finish(3);
    box.finish(2);
    EXPECT_EQ(take_all(box, 0), (std::vector<std::uint64_t>{4}));
    box.finish(4);
    EXPECT_EQ(box.size(), 0u);
    EXPECT_FALSE(box.next_due());
}

TEST(WebhookOutbox, AFailingEventHoldsBackItsClientOnly) {
    Outbox box(100);
    box.push(event(1, "a"));
    box.push(event(2, "a"));
    box.push(event(3, "b"));
    EXPECT_EQ(take_all(box, 0), (std::vector<std::uint64_t>{1, 3}));
    box.retry(1, 500);  // a's first event failed: due again at 500
    box.finish(3);
    EXPECT_EQ(take_all(box, 499), std::vector<std::uint64_t>{});
    EXPECT_EQ(box.next_due(), 500);
    auto again = box.take(500);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->id, 1u);
    EXPECT_EQ(again->failed, 1u);
    EXPECT_EQ(again->body, "e1");
    box.finish(1);
    EXPECT_EQ(take_all(box, 500), std::vector<std::uint64_t>{2});
}

TEST(WebhookOutbox, OverTheBoundTheOldestWaitingEventIsDropped) {
    Outbox box(3);
    box.push(event(1, "a"));
    box.push(event(2, "b"));
    box.push(event(3, "a"));
    ASSERT_EQ(box.take(0)->id, 1u);  // in flight: not dropped
    auto dropped = box.push(event(4, "c"));
    ASSERT_TRUE(dropped);
    EXPECT_EQ(dropped->id, 2u);
    dropped = box.push(event(5, "c"));
    ASSERT_TRUE(dropped);
    EXPECT_EQ(dropped->id, 3u);  // not first of its client: taken from the middle
    EXPECT_EQ(box.size(), 3u);
    box.finish(1);
    EXPECT_EQ(take_all(box, 0), std::vector<std::uint64_t>{4});
}

TEST(WebhookOutbox, WhenEverythingIsInFlightTheNewEventIsRefused) {
    Outbox box(1);
    box.push(event(1, "a"));
    ASSERT_TRUE(box.take(0));
    auto refused = box.push(event(2, "b"));
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->id, 2u);
    EXPECT_EQ(box.size(), 1u);
}

}  // namespace
}  // namespace mqgate::webhooks
