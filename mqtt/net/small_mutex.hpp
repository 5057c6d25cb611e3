// SmallMutex: a mutex in one 32-bit word, for the state every connection
// shares between the broker's threads and its own (the outbound queue).
//
// Why not std::mutex: a pthread mutex is 40 bytes, and every idle connection
// holds one (bench/: idle, memory per connection). This is the classic
// three-state futex lock (0 free, 1 held, 2 held with waiters): an
// uncontended lock and unlock are one atomic operation each, and a waiter
// sleeps in the kernel (C++20 atomic wait is a futex on Linux) instead of
// spinning. It is not recursive and has no owner checks, like std::mutex.
#pragma once

#include <atomic>
#include <cstdint>

namespace mqgate::net {

class SmallMutex {
public:
    void lock() noexcept {
        std::uint32_t seen = free;
        if (state_.compare_exchange_strong(seen, held, std::memory_order_acquire, std::memory_order_relaxed)) return;
        // Contended: announce a waiter, then sleep until the word changes.
        if (seen != contended) seen = state_.exchange(contended, std::memory_order_acquire);
        while (seen != free) {
            state_.wait(contended, std::memory_order_relaxed);
            seen = state_.exchange(contended, std::memory_order_acquire);
        }
    }

    bool try_lock() noexcept {
        std::uint32_t seen = free;
        return state_.compare_exchange_strong(seen, held, std::memory_order_acquire, std::memory_order_relaxed);
    }

    void unlock() noexcept {
        if (state_.exchange(free, std::memory_order_release) == contended) state_.notify_one();
    }

private:
    static constexpr std::uint32_t free = 0;
    static constexpr std::uint32_t held = 1;
    static constexpr std::uint32_t contended = 2;
    std::atomic<std::uint32_t> state_{free};
};

}  // namespace mqgate::net
