#include "webhooks/backoff.hpp"

#include <algorithm>
#include <charconv>

namespace mqgate::webhooks {

std::chrono::milliseconds retry_delay(unsigned failed, std::uint64_t random,
                                      std::optional<std::chrono::seconds> retry_after) {
    const unsigned doublings = std::min(failed == 0 ? 0u : failed - 1, 16u);
    const auto full = std::min<std::chrono::milliseconds>(first_retry * (1LL << doublings), max_retry);
    const auto half = full / 2;
    const auto jittered = half + std::chrono::milliseconds(random % static_cast<std::uint64_t>(half.count() + 1));
    if (!retry_after) return jittered;
    return std::max<std::chrono::milliseconds>(jittered, std::min(*retry_after, max_retry_after));
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value) {
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    unsigned long long seconds = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
    return std::chrono::seconds(std::min<unsigned long long>(seconds, 86'400));
}

}  // namespace mqgate::webhooks
