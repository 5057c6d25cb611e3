// The outbox: per-client order, a failing delivery holds back its clients
// only, batches take a client's events in order, the bound drops the oldest
// waiting event.
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

std::vector<std::uint64_t> ids(const std::vector<OutboxItem>& items) {
    std::vector<std::uint64_t> out;
    for (const auto& item : items) out.push_back(item.id);
    return out;
}

// Ids take() hands out one at a time at `now`, until it has nothing.
std::vector<std::uint64_t> take_all(Outbox& box, std::int64_t now) {
    std::vector<std::uint64_t> out;
    for (int i = 0; i < 100; ++i) {
        auto items = box.take(now, 1);
        if (items.empty()) break;
        out.push_back(items.front().id);
    }
    return out;
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

TEST(WebhookOutbox, AnUnfinishedEventHoldsBackItsClientOnly) {
    Outbox box(100);
    box.push(event(1, "a"));
    box.push(event(2, "a"));
    box.push(event(3, "b"));
    EXPECT_EQ(take_all(box, 0), (std::vector<std::uint64_t>{1, 3}));
    box.finish(3);
    box.push(event(4, "b"));
    EXPECT_EQ(take_all(box, 0), std::vector<std::uint64_t>{4});  // 1 is still in flight: 2 waits
    box.finish(1);
    EXPECT_EQ(take_all(box, 0), std::vector<std::uint64_t>{2});
}

TEST(WebhookOutbox, NothingIsTakenBeforeItIsDue) {
    Outbox box(100);
    auto later = event(1, "a");
    later.due_ms = 500;
    box.push(later);
    EXPECT_EQ(take_all(box, 499), std::vector<std::uint64_t>{});
    EXPECT_EQ(box.next_due(), 500);
    EXPECT_EQ(box.available(500, 10), 1u);
    EXPECT_EQ(take_all(box, 500), std::vector<std::uint64_t>{1});
}

TEST(WebhookOutbox, ABatchTakesEachClientsEventsInOrder) {
    Outbox box(100);
    box.push(event(1, "a"));
    box.push(event(2, "b"));
    box.push(event(3, "a"));
    box.push(event(4, "c"));
    box.push(event(5, "a"));
    EXPECT_EQ(box.available(0, 10), 5u);
    EXPECT_EQ(box.available(0, 3), 3u);
    EXPECT_EQ(ids(box.take(0, 4)), (std::vector<std::uint64_t>{1, 3, 5, 2}));
    box.push(event(6, "a"));
    box.push(event(7, "b"));
    // a and b have events in flight: only c may go.
    EXPECT_EQ(ids(box.take(0, 10)), std::vector<std::uint64_t>{4});
    for (auto id : {1, 3, 5}) box.finish(id);
    EXPECT_EQ(ids(box.take(0, 10)), std::vector<std::uint64_t>{6});
    box.finish(2);
    EXPECT_EQ(ids(box.take(0, 10)), std::vector<std::uint64_t>{7});
    EXPECT_EQ(box.in_flight(), 3u);
}

TEST(WebhookOutbox, OverTheBoundTheOldestWaitingEventIsDropped) {
    Outbox box(3);
    box.push(event(1, "a"));
    box.push(event(2, "b"));
    box.push(event(3, "a"));
    ASSERT_EQ(ids(box.take(0, 1)), std::vector<std::uint64_t>{1});  // in flight: not dropped
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
    ASSERT_EQ(box.take(0, 1).size(), 1u);
    auto refused = box.push(event(2, "b"));
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->id, 2u);
    EXPECT_EQ(box.size(), 1u);
}

// A message.publish event gets its id under the broker's lock and reaches the outbox after it: an
// event of its client with a later id may be there first, even in flight.
TEST(WebhookOutbox, AnEventPushedLateTakesItsPlaceByIdAmongTheWaitingOnes) {
    Outbox box(100);
    box.push(event(5, "a"));
    box.push(event(3, "a"));
    EXPECT_EQ(take_all(box, 0), std::vector<std::uint64_t>{3});
    box.push(event(4, "a"));  // older than 5, waiting; 3 in flight
    box.finish(3);
    EXPECT_EQ(take_all(box, 0), std::vector<std::uint64_t>{4});
    box.push(event(2, "a"));  // older than 4 in flight: first of the waiting ones
    box.finish(4);
    EXPECT_EQ(ids(box.take(0, 10)), (std::vector<std::uint64_t>{2, 5}));
    box.finish(5);
    box.finish(2);
    EXPECT_EQ(box.size(), 0u);
}

TEST(WebhookOutbox, DrainHandsOverEveryEventInIdOrder) {
    Outbox box(100);
    box.push(event(1, "a"));
    box.push(event(2, "b"));
    box.push(event(3, "a"));
    ASSERT_EQ(box.take(0, 1).size(), 1u);
    EXPECT_EQ(ids(box.drain()), (std::vector<std::uint64_t>{1, 2, 3}));
    EXPECT_EQ(box.size(), 0u);
    EXPECT_EQ(box.in_flight(), 0u);
    EXPECT_FALSE(box.next_due());
}

}  // namespace
}  // namespace mqgate::webhooks
