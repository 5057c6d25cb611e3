#include "config/login_throttle.hpp"

#include <algorithm>

namespace mqgate::config {

LoginCounters& login_counters() {
    static LoginCounters counters;
    return counters;
}

FailureTable::Clock::duration FailureTable::blocked_for(std::string_view key, Clock::time_point now) const {
    const auto it = keys_.find(std::string(key));
    if (it == keys_.end() || it->second.blocked_until <= now) return Clock::duration::zero();
    return it->second.blocked_until - now;
}

void FailureTable::failed(std::string_view key, Clock::time_point now) {
    if (policy_.free_failures == never_block) return;
    auto it = keys_.find(std::string(key));
    if (it == keys_.end()) {
        if (keys_.size() >= policy_.max_keys) {
            keys_.erase(order_.front());
            order_.pop_front();
        }
        order_.emplace_back(key);
        it = keys_.emplace(order_.back(), Entry{}).first;
        it->second.order = std::prev(order_.end());
    } else {
        order_.splice(order_.end(), order_, it->second.order);
    }
    Entry& e = it->second;
    if (e.failures > 0 && now - e.last_failure > policy_.forget_after) e.failures = 0;
    ++e.failures;
    e.last_failure = now;
    if (e.failures <= policy_.free_failures) return;
    // 1, 2, 4 ... x first_delay; the shift is bounded before it could overflow.
    const std::uint32_t doublings = std::min<std::uint32_t>(e.failures - policy_.free_failures - 1, 20);
    const auto delay = std::min<std::chrono::milliseconds>(policy_.first_delay * (1LL << doublings), policy_.max_delay);
    e.blocked_until = now + delay;
}

void FailureTable::forget(std::string_view key) {
    const auto it = keys_.find(std::string(key));
    if (it == keys_.end()) return;
    order_.erase(it->second.order);
    keys_.erase(it);
}

LoginThrottle::Clock::duration LoginThrottle::blocked_for(std::string_view address, std::string_view user,
                                                          Clock::time_point now) const {
    std::lock_guard lock(mutex_);
    const auto by_address = address.empty() ? Clock::duration::zero() : addresses_.blocked_for(address, now);
    return std::max(by_address, users_.blocked_for(user, now));
}

void LoginThrottle::failed(std::string_view address, std::string_view user, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    if (!address.empty()) addresses_.failed(address, now);
    users_.failed(user, now);
}

void LoginThrottle::succeeded(std::string_view user) {
    std::lock_guard lock(mutex_);
    users_.forget(user);
}

}  // namespace mqgate::config
