// Password logins: the verified-password cache, the verifier threads and the
// back-off after failures (config/authorizer.hpp, config/login_throttle.hpp),
// and how HTTP uses them (http/http_auth.hpp). A verifier injected in place
// of PBKDF2 counts the full checks, tells which thread ran them and can hold
// one: nothing here depends on timing.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "config/authorizer.hpp"
#include "config/login_throttle.hpp"
#include "events/event_payload.hpp"
#include "http/http_auth.hpp"

namespace {

using mqgate::config::AuthState;
using mqgate::config::FailureTable;
using mqgate::config::GatewayAuthorizer;
using mqgate::config::LoginOptions;
using mqgate::config::LoginVerdict;
using mqgate::config::ThrottlePolicy;
using namespace std::chrono_literals;

constexpr auto answer_timeout = std::chrono::seconds(30);

// verify_password, counted, with the thread it ran on; a closed gate holds
// every check until it opens.
struct CountingVerifier {
    std::atomic<int> calls{0};
    std::mutex mutex;
    std::condition_variable changed;
    bool open = true;
    int waiting = 0;
    std::thread::id last_thread;

    bool operator()(std::string_view password, std::string_view encoded) {
        {
            std::unique_lock lock(mutex);
            last_thread = std::this_thread::get_id();
            ++waiting;
            changed.notify_all();
            changed.wait_for(lock, answer_timeout, [this] { return open; });
            --waiting;
        }
        ++calls;
        return mqgate::config::verify_password(password, encoded);
    }
    void set_open(bool value) {
        std::lock_guard lock(mutex);
        open = value;
        changed.notify_all();
    }
    bool await_waiting(int n) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, answer_timeout, [&] { return waiting >= n; });
    }
};

std::shared_ptr<AuthState> users_alice_and_bob() {
    auto state = std::make_shared<AuthState>();
    state->allow_anonymous = false;
    state->users.emplace();
    state->users->set("alice", mqgate::config::hash_password("pw", mqgate::config::min_pbkdf2_iterations));
    state->users->set("bob", mqgate::config::hash_password("pw", mqgate::config::min_pbkdf2_iterations));
    return state;
}

struct Answer {
    LoginVerdict verdict{};
    std::thread::id thread;
};

Answer check(GatewayAuthorizer& auth, const std::string& user, const std::string& password,
             const std::string& address = "192.0.2.1") {
    std::promise<Answer> promise;
    auto future = promise.get_future();
    auth.check_password(auth.state(), user, password, address,
                        [&promise](LoginVerdict v) { promise.set_value({v, std::this_thread::get_id()}); });
    EXPECT_EQ(future.wait_for(answer_timeout), std::future_status::ready);
    return future.get();
}

// Lets a test wrap the injected verifier without copying it.
mqgate::config::PasswordVerifier use(CountingVerifier& v) {
    return [&v](std::string_view password, std::string_view encoded) { return v(password, encoded); };
}

TEST(PasswordCache, OnlyEverAnswersRight) {
    CountingVerifier verifier;
    GatewayAuthorizer auth(users_alice_and_bob(), use(verifier));
    EXPECT_EQ(check(auth, "alice", "pw").verdict, LoginVerdict::accepted);
    EXPECT_EQ(verifier.calls, 1);
    EXPECT_EQ(check(auth, "alice", "pw").verdict, LoginVerdict::accepted);
    EXPECT_EQ(verifier.calls, 1) << "a cached proof needs no full check";
    // A wrong password for a user the cache knows: the full check, like
    // anyone else's (it used to be refused from the cache in 0.1 ms).
    EXPECT_EQ(check(auth, "alice", "wrong").verdict, LoginVerdict::refused);
    EXPECT_EQ(verifier.calls, 2);
    EXPECT_EQ(check(auth, "bob", "wrong").verdict, LoginVerdict::refused);
    EXPECT_EQ(verifier.calls, 3);
    // An unknown user: a full check against a decoy hash.
    EXPECT_EQ(check(auth, "nobody", "pw").verdict, LoginVerdict::refused);
    EXPECT_EQ(verifier.calls, 4);
    // The wrong attempt did not evict the proof.
    EXPECT_EQ(check(auth, "alice", "pw").verdict, LoginVerdict::accepted);
    EXPECT_EQ(verifier.calls, 4);
}

TEST(PasswordVerifier, RunsOffTheCallersThread) {
    CountingVerifier verifier;
    GatewayAuthorizer auth(users_alice_and_bob(), use(verifier));
    const Answer answer = check(auth, "alice", "pw");
    EXPECT_EQ(answer.verdict, LoginVerdict::accepted);
    EXPECT_NE(answer.thread, std::this_thread::get_id());
    std::lock_guard lock(verifier.mutex);
    EXPECT_NE(verifier.last_thread, std::this_thread::get_id());
}

TEST(PasswordVerifier, CallerIsNotBlockedWhileACheckIsPending) {
    CountingVerifier verifier;
    verifier.set_open(false);
    GatewayAuthorizer auth(users_alice_and_bob(), use(verifier), LoginOptions{1, 1});
    std::promise<LoginVerdict> first;
    // check_password() returns while the check is held.
    auth.check_password(auth.state(), "alice", "pw", "", [&first](LoginVerdict v) { first.set_value(v); });
    ASSERT_TRUE(verifier.await_waiting(1));
    std::promise<LoginVerdict> second;
    auth.check_password(auth.state(), "bob", "pw", "", [&second](LoginVerdict v) { second.set_value(v); });
    // One thread busy, one check queued: the next is refused at once, unchecked.
    std::optional<LoginVerdict> third;
    auth.check_password(auth.state(), "bob", "other", "", [&third](LoginVerdict v) { third = v; });
    EXPECT_EQ(third, LoginVerdict::busy);
    verifier.set_open(true);
    auto f1 = first.get_future();
    auto f2 = second.get_future();
    ASSERT_EQ(f1.wait_for(answer_timeout), std::future_status::ready);
    ASSERT_EQ(f2.wait_for(answer_timeout), std::future_status::ready);
    EXPECT_EQ(f1.get(), LoginVerdict::accepted);
    EXPECT_EQ(f2.get(), LoginVerdict::accepted);
    EXPECT_EQ(verifier.calls, 2);
}

TEST(PasswordVerifier, StopDropsQueuedChecksUnanswered) {
    CountingVerifier verifier;
    verifier.set_open(false);
    auto auth = std::make_unique<GatewayAuthorizer>(users_alice_and_bob(), use(verifier), LoginOptions{1, 4});
    std::atomic<int> answered{0};
    auth->check_password(auth->state(), "alice", "pw", "", [&answered](LoginVerdict) { ++answered; });
    ASSERT_TRUE(verifier.await_waiting(1));
    std::promise<void> dropped;
    {
        // Released when the queued checks are dropped.
        const std::shared_ptr<void> queued(nullptr, [&dropped](void*) { dropped.set_value(); });
        for (int i = 0; i < 2; ++i)
            auth->check_password(auth->state(), "alice", "pw", "", [&answered, queued](LoginVerdict) { ++answered; });
    }
    std::thread opener([&verifier, done = dropped.get_future()] {
        // stop() waits for the running check: let it finish once the rest are gone.
        EXPECT_EQ(done.wait_for(answer_timeout), std::future_status::ready);
        verifier.set_open(true);
    });
    auth->stop_verifying();
    opener.join();
    EXPECT_EQ(answered, 1) << "only the running check answers; the queued ones are dropped";
}

ThrottlePolicy policy(std::uint32_t free_failures, std::size_t max_keys = 100) {
    return ThrottlePolicy{free_failures, 1s, 8s, 60s, max_keys};
}

TEST(FailureTable, BacksOffDoublingUpToTheCap) {
    FailureTable table(policy(2));
    const auto t0 = FailureTable::Clock::time_point{} + 1h;
    table.failed("k", t0);
    table.failed("k", t0);
    EXPECT_EQ(table.blocked_for("k", t0), 0s) << "two failures are free";
    table.failed("k", t0);
    EXPECT_EQ(table.blocked_for("k", t0), 1s);
    EXPECT_EQ(table.blocked_for("k", t0 + 1s), 0s);
    table.failed("k", t0 + 1s);
    EXPECT_EQ(table.blocked_for("k", t0 + 1s), 2s);
    table.failed("k", t0 + 3s);
    EXPECT_EQ(table.blocked_for("k", t0 + 3s), 4s);
    table.failed("k", t0 + 7s);
    EXPECT_EQ(table.blocked_for("k", t0 + 7s), 8s);
    table.failed("k", t0 + 15s);
    EXPECT_EQ(table.blocked_for("k", t0 + 15s), 8s) << "capped";
    EXPECT_EQ(table.blocked_for("other", t0 + 15s), 0s);
    // Forgotten a while after the last failure: free failures again.
    table.failed("k", t0 + 15s + 61s);
    EXPECT_EQ(table.blocked_for("k", t0 + 15s + 61s), 0s);
    table.forget("k");
    EXPECT_EQ(table.size(), 0u);
}

TEST(FailureTable, KeepsAtMostMaxKeysDroppingTheLeastRecentlyFailed) {
    FailureTable table(policy(0, 3));
    const auto t0 = FailureTable::Clock::time_point{} + 1h;
    table.failed("a", t0);
    table.failed("b", t0);
    table.failed("c", t0);
    table.failed("a", t0);  // a is now the most recent
    table.failed("d", t0);  // b goes
    EXPECT_EQ(table.size(), 3u);
    EXPECT_GT(table.blocked_for("a", t0), 0s);
    EXPECT_EQ(table.blocked_for("b", t0), 0s);
    EXPECT_GT(table.blocked_for("c", t0), 0s);
    EXPECT_GT(table.blocked_for("d", t0), 0s);
}

TEST(LoginBackOff, BlockedLoginsAreRefusedWithoutAFullCheck) {
    CountingVerifier verifier;
    LoginOptions options;
    options.per_user = ThrottlePolicy{2, 1h, 1h, 1h, 100};
    options.per_address = ThrottlePolicy{4, 1h, 1h, 1h, 100};
    GatewayAuthorizer auth(users_alice_and_bob(), use(verifier), options);
    const auto throttled_before = mqgate::config::login_counters().throttled.load();
    for (int i = 0; i < 3; ++i) EXPECT_EQ(check(auth, "alice", "wrong", "192.0.2.1").verdict, LoginVerdict::refused);
    EXPECT_EQ(verifier.calls, 3);
    // alice is blocked, even with her right password, from any address.
    EXPECT_EQ(check(auth, "alice", "pw", "192.0.2.2").verdict, LoginVerdict::throttled);
    EXPECT_EQ(verifier.calls, 3);
    EXPECT_EQ(mqgate::config::login_counters().throttled.load(), throttled_before + 1);
    // The address has two failures to go; then bob is blocked from it too.
    EXPECT_EQ(check(auth, "bob", "pw", "192.0.2.1").verdict, LoginVerdict::accepted);
    EXPECT_EQ(check(auth, "carol", "x", "192.0.2.1").verdict, LoginVerdict::refused);
    EXPECT_EQ(check(auth, "dave", "x", "192.0.2.1").verdict, LoginVerdict::refused);
    const int calls = verifier.calls;
    EXPECT_EQ(check(auth, "bob", "pw", "192.0.2.1").verdict, LoginVerdict::throttled);
    EXPECT_EQ(check(auth, "bob", "pw", "192.0.2.3").verdict, LoginVerdict::accepted);
    EXPECT_EQ(verifier.calls, calls) << "bob's proof is cached; the blocked attempt ran nothing";
}

TEST(LoginBackOff, ASuccessForgetsTheUsersFailures) {
    CountingVerifier verifier;
    LoginOptions options;
    options.per_user = ThrottlePolicy{2, 1h, 1h, 1h, 100};
    GatewayAuthorizer auth(users_alice_and_bob(), use(verifier), options);
    EXPECT_EQ(check(auth, "alice", "wrong", "").verdict, LoginVerdict::refused);
    EXPECT_EQ(check(auth, "alice", "wrong", "").verdict, LoginVerdict::refused);
    EXPECT_EQ(check(auth, "alice", "pw", "").verdict, LoginVerdict::accepted);
    EXPECT_EQ(check(auth, "alice", "wrong", "").verdict, LoginVerdict::refused);
    EXPECT_EQ(check(auth, "alice", "pw", "").verdict, LoginVerdict::accepted) << "one failure since the success";
}

// HTTP Basic: the router's verifier sends the password to the verifier
// threads; the answer (kept on the request) decides 401, 429 or 503.
TEST(HttpLogin, BasicIsCheckedOffThreadAndTheAnswerKeptOnTheRequest) {
    using mqgate::http::CheckResult;
    using mqgate::http::Request;
    CountingVerifier verifier;
    LoginOptions options;
    options.per_user = ThrottlePolicy{0, 1h, 1h, 1h, 100};
    auto authorizer = std::make_shared<GatewayAuthorizer>(users_alice_and_bob(), use(verifier), options);
    mqgate::http::HttpAuth auth(authorizer);
    const auto verify = [&](const std::string& user, const std::string& password) {
        Request r;
        r.method = "GET";
        r.target = "/api/v1/clients";
        r.authorization = "Basic " + mqgate::payload::base64_encode(user + ":" + password);
        std::promise<CheckResult> promise;
        EXPECT_TRUE(auth.verify(r, [&promise](CheckResult result) { promise.set_value(std::move(result)); }));
        auto future = promise.get_future();
        EXPECT_EQ(future.wait_for(answer_timeout), std::future_status::ready);
        r.checked = future.get().check;
        mqgate::http::Caller caller;
        const int calls = verifier.calls;
        auto refusal = auth.check(r, "/api/v1/clients", caller);
        EXPECT_EQ(verifier.calls, calls) << "check() takes the answer, not a second hash";
        return refusal ? refusal->status : 200;
    };
    EXPECT_EQ(verify("bob", "pw"), 200);
    EXPECT_EQ(verify("alice", "wrong"), 401);
    EXPECT_EQ(verify("alice", "pw"), 429) << "no free failures in this policy";
    // Tokens and public routes need no verifier.
    Request r;
    r.method = "GET";
    r.target = "/healthz";
    r.authorization = "Basic " + mqgate::payload::base64_encode("alice:wrong");
    EXPECT_FALSE(auth.verify(r, [](CheckResult) { ADD_FAILURE() << "called"; }));
}

}  // namespace
