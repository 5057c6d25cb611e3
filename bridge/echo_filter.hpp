// Our own messages coming back from a plain MQTT 3.1.1 upstream. 3.1.1 has no
// no-local option: an upstream that did not accept the bridge protocol level
// sends what we published to every matching subscription, ours included, so
// with `both` (or overlapping `in` and `out` routes) each message would reach
// local subscribers a second time. The bridge remembers what it sent that an
// `in` route would take back, and drops one matching copy when it returns.
// Pure; bounded in entries and age.
//
// Best effort, by topic and payload: another node's message identical to one
// of ours and arriving before our echo is dropped in its place (the same bytes
// are delivered once either way).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string_view>
#include <unordered_map>

namespace mqgate::bridge {

class EchoFilter {
public:
    using Clock = std::chrono::steady_clock;

    explicit EchoFilter(std::chrono::milliseconds max_age = std::chrono::seconds(60),
                        std::size_t max_entries = 100'000) noexcept
        : max_age_(max_age), max_entries_(max_entries) {}

    // A message went upstream under `topic` that would come back.
    void sent(std::string_view topic, std::string_view payload, Clock::time_point now);
    // An upstream message: true when it is the echo of one sent (that one is then forgotten).
    bool echo(std::string_view topic, std::string_view payload, Clock::time_point now);

    std::size_t size() const noexcept { return order_.size(); }

private:
    static std::uint64_t key(std::string_view topic, std::string_view payload) noexcept;
    void forget_oldest();
    void expire(Clock::time_point now);

    std::chrono::milliseconds max_age_;
    std::size_t max_entries_;
    std::deque<std::pair<Clock::time_point, std::uint64_t>> order_;  // oldest first
    // key -> when each copy not yet returned was sent, oldest first (a return takes the oldest)
    std::unordered_map<std::uint64_t, std::deque<Clock::time_point>> waiting_;
};

}  // namespace mqgate::bridge
