#include "http/request_stats.hpp"

#include <array>
#include <atomic>

namespace mqgate::http {
namespace {

constexpr int lowest = 100;
constexpr int highest = 599;
// One slot per possible status: a relaxed increment, no lock on the hot path.
std::array<std::atomic<std::uint64_t>, highest - lowest + 1> counters{};

}  // namespace

void count_response(int status) noexcept {
    if (status < lowest || status > highest) return;
    counters[static_cast<std::size_t>(status - lowest)].fetch_add(1, std::memory_order_relaxed);
}

std::vector<std::pair<int, std::uint64_t>> response_counts() {
    std::vector<std::pair<int, std::uint64_t>> out;
    for (std::size_t i = 0; i < counters.size(); ++i) {
        const auto n = counters[i].load(std::memory_order_relaxed);
        if (n != 0) out.emplace_back(static_cast<int>(i) + lowest, n);
    }
    return out;
}

}  // namespace mqgate::http
