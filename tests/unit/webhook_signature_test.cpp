// Standard Webhooks signing and the retry schedule.
#include <gtest/gtest.h>

#include "config/webhook_checks.hpp"
#include "webhooks/backoff.hpp"
#include "webhooks/signature.hpp"

namespace mqgate::webhooks {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// The example of the Standard Webhooks reference libraries, checked
// independently with Python's hmac module (hmac.new(key, msg, sha256)).
TEST(WebhookSignature, MatchesTheStandardWebhooksVector) {
    const auto key = config::decode_webhook_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    ASSERT_TRUE(key);
    EXPECT_EQ(signature(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})"),
              "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(WebhookSignature, EveryPartIsSigned) {
    const std::string key = "k";
    const auto base = signature(key, "msg_1", 100, "{}");
    EXPECT_NE(signature(key, "msg_2", 100, "{}"), base);
    EXPECT_NE(signature(key, "msg_1", 101, "{}"), base);
    EXPECT_NE(signature(key, "msg_1", 100, "{ }"), base);
    EXPECT_NE(signature("K", "msg_1", 100, "{}"), base);
}

TEST(WebhookBackoff, DoublesFromHalfASecondUpToTenSecondsWithJitter) {
    // random 0 gives the lower end (half), a random at the top the whole delay.
    EXPECT_EQ(retry_delay(1, 0), milliseconds(250));
    EXPECT_EQ(retry_delay(1, 250), milliseconds(500));
    EXPECT_EQ(retry_delay(2, 500), milliseconds(1000));
    EXPECT_EQ(retry_delay(3, 1000), milliseconds(2000));
    EXPECT_EQ(retry_delay(6, 0), milliseconds(5000));
    EXPECT_EQ(retry_delay(6, 5000), milliseconds(10'000));
    EXPECT_EQ(retry_delay(1000, 5000), milliseconds(10'000));
    for (std::uint64_t r = 0; r < 1000; r += 37) {
        const auto d = retry_delay(4, r * 7919);
        EXPECT_GE(d, milliseconds(2000));
        EXPECT_LE(d, milliseconds(4000));
    }
}

TEST(WebhookBackoff, RetryAfterIsWaitedAtLeastUpToAMinute) {
    EXPECT_EQ(retry_delay(1, 0, seconds(3)), milliseconds(3000));
    EXPECT_EQ(retry_delay(6, 5000, seconds(1)), milliseconds(10'000));
    EXPECT_EQ(retry_delay(1, 0, seconds(3600)), milliseconds(60'000));
    EXPECT_EQ(parse_retry_after(" 7 "), seconds(7));
    EXPECT_FALSE(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"));
    EXPECT_FALSE(parse_retry_after(""));
    EXPECT_FALSE(parse_retry_after("-1"));
}

}  // namespace
}  // namespace mqgate::webhooks
