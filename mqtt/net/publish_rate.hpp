// mqtt.max_publish_rate: a token bucket per connection. Over the rate the
// connection is not read until a token is due (backpressure through TCP, as
// EMQX does) instead of dropping messages the client believes were sent.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace mqgate::net {

class TokenBucket {
public:
    using Clock = std::chrono::steady_clock;

    // `rate` tokens per second, at most one second's worth saved up; 0 = off.
    explicit TokenBucket(std::uint32_t rate, Clock::time_point now = Clock::now())
        : rate_(rate), tokens_(rate), last_(now) {}

    bool enabled() const noexcept { return rate_ != 0; }
    std::uint32_t rate() const noexcept { return rate_; }

    // Takes one token (going into debt if there is none) and answers how long
    // to wait until the debt is paid; zero: carry on.
    Clock::duration take(Clock::time_point now) noexcept {
        const std::chrono::duration<double> elapsed = now - last_;
        last_ = now;
        tokens_ = std::min<double>(rate_, tokens_ + elapsed.count() * rate_) - 1.0;
        if (tokens_ >= 0) return Clock::duration::zero();
        return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(-tokens_ / rate_));
    }

private:
    std::uint32_t rate_;
    double tokens_;
    Clock::time_point last_;
};

}  // namespace mqgate::net
