// Back-off for failed logins, per peer address and per username: after
// `free_failures` failures a key is blocked for `first_delay`, doubling with
// each further failure up to `max_delay`. While blocked, logins for it are
// refused without checking the password, so guessing costs the guesser time
// and the gateway no PBKDF2. Refusals while blocked do not count as
// failures (a user retrying with the right password is let in once the block
// ends); a key's count is forgotten `forget_after` its last failure, or for a
// username when it logs in. Each table keeps at most `max_keys` keys; the
// least recently failed goes first.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mqgate::config {

inline constexpr std::uint32_t never_block = std::numeric_limits<std::uint32_t>::max();  // as free_failures: no back-off, nothing tracked

struct ThrottlePolicy {
    std::uint32_t free_failures;
    std::chrono::milliseconds first_delay;
    std::chrono::milliseconds max_delay;
    std::chrono::milliseconds forget_after;
    std::size_t max_keys;
};

// A NAT or a proxy puts many clients behind one address: it gets more slack
// than one username.
inline constexpr ThrottlePolicy address_policy{20, std::chrono::seconds(2), std::chrono::seconds(60),
                                               std::chrono::minutes(10), 10'000};
inline constexpr ThrottlePolicy user_policy{5, std::chrono::seconds(2), std::chrono::seconds(60),
                                            std::chrono::minutes(10), 10'000};

class FailureTable {
public:
    using Clock = std::chrono::steady_clock;
    explicit FailureTable(const ThrottlePolicy& policy) : policy_(policy) {}

    // How long `key` stays blocked from `now` (zero: not blocked).
    Clock::duration blocked_for(std::string_view key, Clock::time_point now) const;
    void failed(std::string_view key, Clock::time_point now);
    void forget(std::string_view key);
    std::size_t size() const noexcept { return keys_.size(); }

private:
    struct Entry {
        std::uint32_t failures = 0;
        Clock::time_point last_failure;
        Clock::time_point blocked_until;
        std::list<std::string>::iterator order;  // its key in order_
    };
    ThrottlePolicy policy_;
    std::unordered_map<std::string, Entry> keys_;
    std::list<std::string> order_;  // least recently failed first
};

// Password logins refused, process-wide, for /metrics and /api/v1/stats
// (MQTT and HTTP alike).
struct LoginCounters {
    std::atomic<std::uint64_t> failed{0};     // wrong password or unknown user, after the full check
    std::atomic<std::uint64_t> throttled{0};  // refused unchecked: the address or username is backing off
    std::atomic<std::uint64_t> busy{0};       // refused unchecked: the verifier queue was full
};
LoginCounters& login_counters();

class LoginThrottle {
public:
    using Clock = FailureTable::Clock;
    LoginThrottle(const ThrottlePolicy& address = address_policy, const ThrottlePolicy& user = user_policy)
        : addresses_(address), users_(user) {}

    // Thread-safe. An empty address (none known) is not tracked.
    Clock::duration blocked_for(std::string_view address, std::string_view user, Clock::time_point now) const;
    void failed(std::string_view address, std::string_view user, Clock::time_point now);
    void succeeded(std::string_view user);

private:
    mutable std::mutex mutex_;
    FailureTable addresses_;
    FailureTable users_;
};

}  // namespace mqgate::config
