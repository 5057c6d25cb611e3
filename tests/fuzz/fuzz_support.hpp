// Shared by the fuzz targets: a check that aborts (libFuzzer then saves the
// input as a crash), and a tiny deterministic generator, so a target can cut
// its input at boundaries chosen by the input itself and a reproducer replays
// exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include <fuzzer/FuzzedDataProvider.h>

// An invariant of the code under test; on failure the input is a finding.
#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            std::fprintf(stderr, "FUZZ_CHECK failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
            std::abort();                                                                 \
        }                                                                                 \
    } while (0)

namespace mqgate::fuzz {

class Splitter {
public:
    explicit Splitter(std::uint32_t seed) noexcept : state_(seed | 1u) {}

    // The next chunk length in [1, max] (max >= 1); small lengths are common,
    // so packets are often cut inside their fixed header.
    std::size_t next(std::size_t max) noexcept {
        state_ ^= state_ << 13;
        state_ ^= state_ >> 17;
        state_ ^= state_ << 5;
        const std::size_t limit = (state_ & 3u) == 0 ? max : 8;
        return 1 + (state_ >> 2) % (limit < max ? limit : max);
    }

private:
    std::uint32_t state_;
};

// 1 to 5 levels joined by '/', each one of `parts`: a small alphabet, so the
// operations of one input collide often.
inline std::string pick_levels(FuzzedDataProvider& in, std::span<const std::string_view> parts) {
    const std::size_t n = 1 + in.ConsumeIntegralInRange<std::size_t>(0, 4);
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
        if (i) out += '/';
        out += parts[in.ConsumeIntegralInRange<std::size_t>(0, parts.size() - 1)];
    }
    return out;
}

}  // namespace mqgate::fuzz
