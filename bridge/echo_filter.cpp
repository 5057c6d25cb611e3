#include "bridge/echo_filter.hpp"

#include <functional>

namespace mqgate::bridge {

std::uint64_t EchoFilter::key(std::string_view topic, std::string_view payload) noexcept {
    const std::uint64_t t = std::hash<std::string_view>{}(topic);
    const std::uint64_t p = std::hash<std::string_view>{}(payload);
    return t ^ (p + 0x9e3779b97f4a7c15ULL + (t << 6) + (t >> 2));
}

void EchoFilter::forget_oldest() {
    const auto [sent_at, k] = order_.front();
    order_.pop_front();
    // Unless that copy came back already (a return takes the oldest of its key), it is forgotten now.
    const auto it = waiting_.find(k);
    if (it == waiting_.end() || it->second.front() != sent_at) return;
    it->second.pop_front();
    if (it->second.empty()) waiting_.erase(it);
}

void EchoFilter::expire(Clock::time_point now) {
    while (!order_.empty() && now - order_.front().first > max_age_) forget_oldest();
}

void EchoFilter::sent(std::string_view topic, std::string_view payload, Clock::time_point now) {
    expire(now);
    if (order_.size() >= max_entries_) forget_oldest();
    const auto k = key(topic, payload);
    order_.emplace_back(now, k);
    waiting_[k].push_back(now);
}

bool EchoFilter::echo(std::string_view topic, std::string_view payload, Clock::time_point now) {
    expire(now);
    const auto it = waiting_.find(key(topic, payload));
    if (it == waiting_.end()) return false;
    it->second.pop_front();
    if (it->second.empty()) waiting_.erase(it);
    return true;
}

}  // namespace mqgate::bridge
