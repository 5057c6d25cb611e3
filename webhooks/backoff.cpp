#include "webhooks/backoff.hpp"

#include <algorithm>
#include <charconv>

#include "support/backoff.hpp"

namespace mqgate::webhooks {

std::chrono::milliseconds retry_delay(unsigned failed, std::uint64_t random,
                                      std::optional<std::chrono::seconds> retry_after) {
    const auto jittered = support::backoff_delay(failed, first_retry, max_retry, random);
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
