#include "mqtt/ring_queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace mqgate::mqtt {
namespace {

template <class Q>
std::vector<std::string> contents(const Q& q) {
    return {q.begin(), q.end()};
}

TEST(RingQueue, FifoOrderAcrossGrowthAndWrapAround) {
    RingQueue<std::string> q;
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.begin(), q.end());
    int next_in = 0;
    int next_out = 0;
    // Interleave pushes and pops so the head walks around the ring while it grows.
    for (int round = 0; round < 50; ++round) {
        for (int i = 0; i < 3; ++i) q.push_back("m" + std::to_string(next_in++));
        ASSERT_EQ(q.front(), "m" + std::to_string(next_out));
        q.pop_front();
        ++next_out;
    }
    EXPECT_EQ(q.size(), 100u);
    EXPECT_EQ(q.back(), "m149");
    while (!q.empty()) {
        ASSERT_EQ(q.front(), "m" + std::to_string(next_out++));
        q.pop_front();
    }
    EXPECT_EQ(next_out, 150);
}

TEST(RingQueue, EraseFromEitherSideKeepsTheOrderLikeADeque) {
    std::mt19937 rng(7);
    RingQueue<std::string> q;
    std::deque<std::string> model;
    for (int step = 0; step < 2000; ++step) {
        const int op = static_cast<int>(rng() % 4);
        if (op < 2 || model.empty()) {
            q.push_back(std::to_string(step));
            model.push_back(std::to_string(step));
        } else if (op == 2) {
            q.pop_front();
            model.pop_front();
        } else {
            const auto at = rng() % model.size();
            auto it = std::next(q.begin(), static_cast<std::ptrdiff_t>(at));
            const auto next = q.erase(it);
            const auto model_next = model.erase(std::next(model.begin(), static_cast<std::ptrdiff_t>(at)));
            if (model_next == model.end()) {
                ASSERT_EQ(next, q.end());
            } else {
                ASSERT_EQ(*next, *model_next);
            }
        }
        ASSERT_EQ(q.size(), model.size());
        ASSERT_EQ(contents(q), std::vector<std::string>(model.begin(), model.end())) << "step " << step;
    }
}

TEST(RingQueue, FindAndEraseAsTheBrokerDoesWithInflightIds) {
    RingQueue<int> q;
    for (int id = 1; id <= 5; ++id) q.push_back(id);
    auto it = std::find(q.begin(), q.end(), 3);
    ASSERT_NE(it, q.end());
    q.erase(it);
    EXPECT_EQ(std::find(q.begin(), q.end(), 3), q.end());
    EXPECT_TRUE(std::any_of(q.begin(), q.end(), [](int v) { return v == 5; }));
    std::vector<int> left(q.begin(), q.end());
    EXPECT_EQ(left, (std::vector<int>{1, 2, 4, 5}));
}

TEST(RingQueue, ElementsAreDestroyedOnPopEraseClearAndDestruction) {
    auto token = std::make_shared<int>(0);
    {
        RingQueue<std::shared_ptr<int>> q;
        for (int i = 0; i < 20; ++i) q.push_back(token);
        EXPECT_EQ(token.use_count(), 21);
        q.pop_front();
        q.erase(q.begin());
        EXPECT_EQ(token.use_count(), 19);
        RingQueue<std::shared_ptr<int>> copy = q;
        EXPECT_EQ(token.use_count(), 37);
        copy.clear();
        EXPECT_TRUE(copy.empty());
        EXPECT_EQ(token.use_count(), 19);
        RingQueue<std::shared_ptr<int>> moved = std::move(q);
        EXPECT_TRUE(q.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
        EXPECT_EQ(moved.size(), 18u);
    }
    EXPECT_EQ(token.use_count(), 1);
}

TEST(RingQueue, KeepsStorageWhileBusyAndFreesWhatAPastBurstLeft) {
    RingQueue<int> q;
    EXPECT_EQ(q.capacity(), 0u);  // an idle client's queue holds no storage
    // A busy connection fills and drains about the same amount every cycle:
    // the storage stays, no malloc/free per cycle.
    for (int cycle = 0; cycle < 3; ++cycle) {
        for (int i = 0; i < 100; ++i) q.push_back(i);
        while (!q.empty()) q.pop_front();
        EXPECT_EQ(q.capacity(), 128u) << "cycle " << cycle;
    }
    // Traffic drops to a trickle: the big ring goes on the next drain.
    q.push_back(1);
    q.pop_front();
    EXPECT_EQ(q.capacity(), 0u);
    // Small rings are kept whatever the traffic.
    for (int i = 0; i < 5; ++i) q.push_back(i);
    while (!q.empty()) q.pop_front();
    q.push_back(1);
    q.pop_front();
    EXPECT_EQ(q.capacity(), 8u);
}

TEST(RingQueue, UsableAgainAfterDrainingABurst) {
    RingQueue<std::string> q;
    for (int i = 0; i < 1000; ++i) q.push_back(std::string(100, 'x'));
    while (!q.empty()) q.pop_front();
    q.push_back("after");
    EXPECT_EQ(q.front(), "after");
    EXPECT_EQ(q.size(), 1u);
}

}  // namespace
}  // namespace mqgate::mqtt
