// SmallMutex under contention: every increment made under it survives, and
// try_lock fails while another thread holds it. Run under ThreadSanitizer too
// (label "threads"), which sees a missing acquire/release as a data race on
// the plain counter.
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "mqtt/net/small_mutex.hpp"

namespace {

using mqgate::net::SmallMutex;

TEST(SmallMutex, ContendedIncrementsAreNeverLost) {
    SmallMutex m;
    std::uint64_t counter = 0;  // deliberately not atomic: the mutex protects it
    constexpr int threads = 4;
    constexpr int rounds = 20000;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
        workers.emplace_back([&] {
            for (int i = 0; i < rounds; ++i) {
                std::lock_guard lock(m);
                // A read-modify-write spread over two statements, so a lost
                // exclusion shows up as a lost increment.
                const auto seen = counter;
                std::this_thread::yield();
                counter = seen + 1;
            }
        });
    for (auto& w : workers) w.join();
    EXPECT_EQ(counter, std::uint64_t{threads} * rounds);
}

TEST(SmallMutex, TryLockFailsWhileHeldElsewhere) {
    SmallMutex m;
    m.lock();
    bool other_got_it = true;
    std::thread([&] { other_got_it = m.try_lock(); }).join();
    EXPECT_FALSE(other_got_it);
    m.unlock();
    std::thread([&] {
        other_got_it = m.try_lock();
        if (other_got_it) m.unlock();
    }).join();
    EXPECT_TRUE(other_got_it);
}

}  // namespace
