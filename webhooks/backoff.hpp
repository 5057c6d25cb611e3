// When a failed delivery is tried again: exponential backoff with jitter,
// capped so a receiver that comes back is served within seconds. Pure.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace mqgate::webhooks {

inline constexpr std::chrono::milliseconds first_retry{500};
inline constexpr std::chrono::milliseconds max_retry{10'000};
inline constexpr std::chrono::seconds max_retry_after{60};

// The wait before attempt `failed + 1` after `failed` failed attempts (1, 2, ...):
// 500 ms doubled per failure up to 10 s, then a random part of it taken off
// ("equal jitter": between half and all of it, from `random`), so many events
// failing together do not come back in lockstep. A receiver's Retry-After
// (seconds, at most 60) is waited at least.
std::chrono::milliseconds retry_delay(unsigned failed, std::uint64_t random,
                                      std::optional<std::chrono::seconds> retry_after = std::nullopt);

// A Retry-After header holding delay-seconds; nullopt for anything else (an
// HTTP date is not honoured).
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value);

}  // namespace mqgate::webhooks
