// Requests to devices: placeholders, payload correlation and the body's
// validation (control/correlation, control/request_json).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "control/correlation.hpp"
#include "control/request_json.hpp"

namespace {

using mqgate::control::Outcome;
using mqgate::control::plan_request;
using mqgate::control::RequestLimits;
using mqgate::control::Status;
using nlohmann::json;

TEST(RequestCorrelation, SubstitutesEveryPlaceholder) {
    EXPECT_EQ(mqgate::control::substitute("dev/{clientid}/req/{request_id}", "R1", "d7"), "dev/d7/req/R1");
    EXPECT_EQ(mqgate::control::substitute("{request_id}/{request_id}", "R1", ""), "R1/R1");
    EXPECT_EQ(mqgate::control::substitute("plain/topic", "R1", "d7"), "plain/topic");
    // A client id holding a placeholder's text is not substituted again.
    EXPECT_EQ(mqgate::control::substitute("a/{clientid}", "R1", "{request_id}"), "a/{request_id}");
}

TEST(RequestCorrelation, PutsTheIdIntoAJsonObjectOnly) {
    const auto with_id = mqgate::control::put_correlation(R"({"cmd":"reboot","rid":"old"})", "rid", "R1");
    ASSERT_TRUE(with_id);
    EXPECT_EQ(json::parse(*with_id), json::parse(R"({"cmd":"reboot","rid":"R1"})"));
    EXPECT_FALSE(mqgate::control::put_correlation("[1,2]", "rid", "R1"));
    EXPECT_FALSE(mqgate::control::put_correlation("not json", "rid", "R1"));
}

TEST(RequestCorrelation, MatchesRepliesEchoingTheId) {
    EXPECT_TRUE(mqgate::control::reply_matches(R"({"rid":"R1","ok":true})", "rid", "R1"));
    EXPECT_FALSE(mqgate::control::reply_matches(R"({"rid":"R2"})", "rid", "R1"));
    EXPECT_FALSE(mqgate::control::reply_matches(R"({"other":"R1"})", "rid", "R1"));
    EXPECT_FALSE(mqgate::control::reply_matches(R"({"rid":1})", "rid", "1"));
    EXPECT_FALSE(mqgate::control::reply_matches("R1", "rid", "R1"));
}

TEST(RequestPlan, FillsTheRequestIdAndDefaults) {
    const auto planned = plan_request(
        json{{"topic", "dev/1/req/{request_id}"}, {"response_topic", "dev/1/res/{request_id}"}, {"payload", "hi"}},
        RequestLimits{});
    ASSERT_FALSE(planned.refusal);
    ASSERT_EQ(planned.plan.exchanges.size(), 1u);
    const auto& e = planned.plan.exchanges[0];
    EXPECT_EQ(e.topic, "dev/1/req/" + e.request_id);
    EXPECT_EQ(e.response_topic, "dev/1/res/" + e.request_id);
    EXPECT_EQ(e.qos, 1);
    EXPECT_EQ(e.payload, "hi");
    EXPECT_EQ(planned.plan.timeout.count(), 10'000);
    EXPECT_EQ(planned.plan.wait_for_connect.count(), 0);
}

TEST(RequestPlan, OneExchangePerTargetWithItsOwnId) {
    const auto planned = plan_request(json{{"topic", "dev/{clientid}/req"},
                                           {"response_topic", "dev/{clientid}/res"},
                                           {"payload", R"({"cmd":"ping"})"},
                                           {"correlation", "payload:rid"},
                                           {"targets", {"a", "b"}}},
                                      RequestLimits{});
    ASSERT_FALSE(planned.refusal);
    ASSERT_EQ(planned.plan.exchanges.size(), 2u);
    EXPECT_TRUE(planned.plan.fan_out);
    const auto& b = planned.plan.exchanges[1];
    EXPECT_EQ(b.client_id, "b");
    EXPECT_EQ(b.topic, "dev/b/req");
    EXPECT_EQ(json::parse(b.payload)["rid"], b.request_id);
    EXPECT_NE(planned.plan.exchanges[0].request_id, b.request_id);
}

TEST(RequestPlan, RefusesWhatCannotBeAnswered) {
    const RequestLimits limits{std::chrono::milliseconds(5000), 10, 2};
    auto code = [&](json body) {
        const auto planned = plan_request(body, limits);
        return planned.refusal ? planned.refusal->code : std::string("accepted");
    };
    EXPECT_EQ(code({{"topic", "a"}}), "invalid_response_topic");
    EXPECT_EQ(code({{"topic", "a/#"}, {"response_topic", "b"}}), "invalid_topic");
    EXPECT_EQ(code({{"topic", "a"}, {"response_topic", "#"}}), "invalid_response_topic");  // would catch the request
    EXPECT_EQ(code({{"topic", "a"}, {"response_topic", "b"}, {"timeout_ms", 5001}}), "invalid_timeout_ms");
    EXPECT_EQ(code({{"topic", "a"}, {"response_topic", "b"}, {"correlation", "topic"}}), "invalid_correlation");
    EXPECT_EQ(code({{"topic", "a"}, {"response_topic", "b"}, {"correlation", "payload:id"}, {"payload", "x"}}),
              "invalid_payload");
    EXPECT_EQ(code({{"topic", "a/{clientid}"}, {"response_topic", "b"}}), "invalid_topic");
    EXPECT_EQ(code({{"topic", "a/{clientid}"}, {"response_topic", "b"}, {"targets", {"x"}}}), "invalid_response_topic");
    EXPECT_EQ(code({{"topic", "a/{clientid}"}, {"response_topic", "b/{clientid}"}, {"targets", {"x", "y", "z"}}}),
              "invalid_targets");
    EXPECT_EQ(code({{"topic", "a/{clientid}"}, {"response_topic", "b/{clientid}"}, {"targets", {"x/y"}}}),
              "invalid_targets");
    EXPECT_EQ(code({{"topic", "$SYS/x"}, {"response_topic", "b"}}), "forbidden_topic");
    EXPECT_EQ(code({{"topic", "a"}, {"response_topic", "b"}, {"wait_for_connect_ms", 100}}), "accepted");
}

TEST(RequestPlan, AnswersTimeoutAndMissingSubscriber) {
    const auto planned = plan_request(json{{"topic", "a"}, {"response_topic", "b"}}, RequestLimits{});
    ASSERT_FALSE(planned.refusal);
    const auto timeout = mqgate::control::answer(planned.plan, {Outcome{Status::timeout, nullptr, {}}});
    EXPECT_EQ(timeout.status, 504);
    EXPECT_EQ(timeout.body["error"]["code"], "timeout");
    const auto missing = mqgate::control::answer(planned.plan, {Outcome{Status::no_matching_subscribers, nullptr, {}}});
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.body["error"]["code"], "no_matching_subscribers");
}

}  // namespace
