#include "support/backoff.hpp"

#include <algorithm>

namespace mqgate::support {

std::chrono::milliseconds backoff_delay(unsigned failed, std::chrono::milliseconds first,
                                        std::chrono::milliseconds max, std::uint64_t random) {
    const unsigned doublings = std::min(failed == 0 ? 0u : failed - 1, 16u);
    const auto full = std::min<std::chrono::milliseconds>(first * (1LL << doublings), max);
    const auto half = full / 2;
    return half + std::chrono::milliseconds(random % static_cast<std::uint64_t>(half.count() + 1));
}

}  // namespace mqgate::support
