#include "support/unique_id.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>

namespace mqgate {

std::string next_unique_id() {
    static const auto start = static_cast<unsigned long long>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
    static std::atomic<unsigned long long> counter{0};
    char buf[33];
    std::snprintf(buf, sizeof buf, "%016llX%016llX", start, counter.fetch_add(1, std::memory_order_relaxed) + 1);
    return buf;
}

}  // namespace mqgate
