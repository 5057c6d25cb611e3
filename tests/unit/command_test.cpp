// Commands that wait for their device: the body's validation, when a
// command is done, and its stored form (control/command, control/command_plan).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "control/command.hpp"
#include "control/command_plan.hpp"

namespace {

using mqgate::control::Command;
using mqgate::control::CommandLimits;
using mqgate::control::CommandStatus;
using mqgate::control::plan_command;
using nlohmann::json;

constexpr std::int64_t now = 1'700'000'000'000;

mqgate::control::PlannedCommand plan(const json& body, CommandLimits limits = {}) {
    return plan_command(body, limits, now);
}

std::string refusal_code(const json& body, CommandLimits limits = {}) {
    const auto p = plan(body, limits);
    return p.refusal ? p.refusal->code : "";
}

TEST(CommandPlan, ReplacesPlaceholdersAndStartsQueued) {
    const auto p = plan({{"clientid", "pump7"}, {"topic", "dev/{clientid}/cmd/{request_id}"},
                         {"response_topic", "dev/{clientid}/res/{request_id}"}, {"payload", "reboot"}, {"ttl_s", 30}});
    ASSERT_FALSE(p.refusal) << p.refusal->message;
    const auto& c = p.command;
    EXPECT_FALSE(c.id().empty());
    EXPECT_EQ(c.exchange.topic, "dev/pump7/cmd/" + c.id());
    EXPECT_EQ(c.exchange.response_topic, "dev/pump7/res/" + c.id());
    EXPECT_EQ(c.exchange.qos, 1);
    EXPECT_EQ(c.status, CommandStatus::queued);
    EXPECT_EQ(c.created_ms, now);
    EXPECT_EQ(c.expires_ms, now + 30'000);
    ASSERT_EQ(c.history.size(), 1u);
    EXPECT_EQ(c.history[0].status, CommandStatus::queued);
}

TEST(CommandPlan, PutsTheIdIntoThePayloadWithPayloadCorrelation) {
    const auto p = plan({{"clientid", "d"}, {"topic", "d/cmd"}, {"response_topic", "d/res"},
                         {"payload", R"({"cmd":"on"})"}, {"correlation", "payload:rid"}});
    ASSERT_FALSE(p.refusal);
    EXPECT_EQ(json::parse(p.command.exchange.payload), json({{"cmd", "on"}, {"rid", p.command.id()}}));
    EXPECT_EQ(p.command.exchange.payload_key, "rid");
}

TEST(CommandPlan, DefaultTtlIsCappedByTheLimit) {
    EXPECT_EQ(plan({{"clientid", "d"}, {"topic", "t"}}).command.expires_ms, now + 3600 * 1000);
    EXPECT_EQ(plan({{"clientid", "d"}, {"topic", "t"}}, CommandLimits{10, 60}).command.expires_ms, now + 60 * 1000);
}

TEST(CommandPlan, RefusesBadBodies) {
    EXPECT_EQ(refusal_code(json::array()), "invalid_request");
    EXPECT_EQ(refusal_code({{"topic", "t"}}), "invalid_clientid");
    EXPECT_EQ(refusal_code({{"clientid", "a/b"}, {"topic", "t"}}), "invalid_clientid");
    EXPECT_EQ(refusal_code({{"clientid", ""}, {"topic", "t"}}), "invalid_clientid");
    EXPECT_EQ(refusal_code({{"clientid", "d"}}), "invalid_topic");
    EXPECT_EQ(refusal_code({{"clientid", "d"}, {"topic", "a/+"}}), "invalid_topic");
    EXPECT_EQ(refusal_code({{"clientid", "d"}, {"topic", "t"}, {"qos", 3}}), "invalid_qos");
    EXPECT_EQ(refusal_code({{"clientid", "d"}, {"topic", "t"}, {"retain", 1}}), "invalid_retain");
    EXPECT_EQ(refusal_code({{"clientid", "d"}, {"topic", "t"}, {"ttl_s", 0}}), "invalid_ttl_s");
    EXPECT_EQ(refusal_code({{"clientid", "d"}, {"topic", "t"}, {"ttl_s", 61}}, CommandLimits{10, 60}), "invalid_ttl_s");
    EXPECT_EQ(refusal_code({{"clientid", "d"}, {"topic", "t"}, {"response_topic", "t"}}), "invalid_response_topic");
    EXPECT_EQ(refusal_code({{"clientid", "d"}, {"topic", "t"}, {"response_topic", ""}}), "invalid_response_topic");
    EXPECT_EQ(refusal_code({{"clientid", "d"}, {"topic", "t"}, {"correlation", "payload:rid"}}), "invalid_correlation");
    EXPECT_EQ(refusal_code({{"clientid", "d"}, {"topic", "t"}, {"encoding", "hex"}}), "invalid_encoding");
    const auto sys = plan({{"clientid", "d"}, {"topic", "$SYS/x"}});
    ASSERT_TRUE(sys.refusal);
    EXPECT_EQ(sys.refusal->status, 403);
}

Command command(std::uint8_t qos, std::string response_topic) {
    auto p = plan({{"clientid", "d"}, {"topic", "t"}, {"qos", qos}});
    p.command.exchange.response_topic = std::move(response_topic);
    return p.command;
}

TEST(CommandStatusRules, DoneWhenNothingMoreIsAwaited) {
    auto qos0 = command(0, "");
    EXPECT_FALSE(is_done(qos0));
    set_status(qos0, CommandStatus::sent, now + 1);
    EXPECT_TRUE(is_done(qos0));  // QoS 0 has no acknowledgement

    auto qos1 = command(1, "");
    set_status(qos1, CommandStatus::sent, now + 1);
    EXPECT_FALSE(is_done(qos1));
    set_status(qos1, CommandStatus::acked, now + 2);
    EXPECT_TRUE(is_done(qos1));

    auto with_reply = command(1, "r");
    set_status(with_reply, CommandStatus::acked, now + 2);
    EXPECT_FALSE(is_done(with_reply));
    set_status(with_reply, CommandStatus::replied, now + 3);
    EXPECT_TRUE(is_done(with_reply));
    ASSERT_EQ(with_reply.history.size(), 3u);
    EXPECT_EQ(with_reply.history.back().ts_ms, now + 3);

    for (auto s : {CommandStatus::expired, CommandStatus::cancelled}) {
        auto c = command(2, "r");
        set_status(c, s, now);
        EXPECT_TRUE(is_done(c));
    }
}

TEST(CommandStatusRules, NamesRoundTrip) {
    for (auto s : {CommandStatus::queued, CommandStatus::sent, CommandStatus::acked, CommandStatus::replied,
                   CommandStatus::expired, CommandStatus::cancelled})
        EXPECT_EQ(mqgate::control::parse_command_status(to_string(s)), s);
    EXPECT_FALSE(mqgate::control::parse_command_status("done"));
}

TEST(CommandStore, EncodedCommandDecodesToTheSame) {
    auto c = plan({{"clientid", "d"}, {"topic", "d/cmd"}, {"response_topic", "d/res"}, {"payload", "{}"},
                   {"qos", 2}, {"retain", true}, {"correlation", "payload:rid"}})
                 .command;
    c.exchange.payload = std::string("\xff\x00\x01", 3);
    set_status(c, CommandStatus::sent, now + 5);
    c.reply = mqgate::control::CommandReply{"d/res", std::string("\x00ok", 3), 1, now + 9};
    set_status(c, CommandStatus::replied, now + 9);

    const auto back = mqgate::control::decode_command(mqgate::control::encode_command(c), 42);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->seq, 42u);
    EXPECT_EQ(mqgate::control::command_json(*back), mqgate::control::command_json(c));
    EXPECT_EQ(back->exchange.payload, c.exchange.payload);
    EXPECT_EQ(back->exchange.payload_key, "rid");
    ASSERT_TRUE(back->reply);
    EXPECT_EQ(back->reply->payload, c.reply->payload);
}

TEST(CommandStore, UnreadableItemsAreRefused) {
    EXPECT_FALSE(mqgate::control::decode_command("not json", 1));
    EXPECT_FALSE(mqgate::control::decode_command("{}", 1));
    auto j = json::parse(mqgate::control::encode_command(command(1, "")));
    j["status"] = "lost";
    EXPECT_FALSE(mqgate::control::decode_command(j.dump(), 1));
    j["status"] = "queued";
    j["payload"] = "%%%";
    EXPECT_FALSE(mqgate::control::decode_command(j.dump(), 1));
}

TEST(CommandView, ShowsHistoryAndTimes) {
    auto c = command(1, "");
    set_status(c, CommandStatus::sent, now + 10);
    const auto j = mqgate::control::command_json(c);
    EXPECT_EQ(j["status"], "sent");
    EXPECT_EQ(j["clientid"], "d");
    EXPECT_EQ(j["expires_at_ms"], now + 3600 * 1000);
    EXPECT_EQ(j["created_at"], "2023-11-14T22:13:20.000Z");
    ASSERT_EQ(j["history"].size(), 2u);
    EXPECT_EQ(j["history"][1], json({{"status", "sent"}, {"time", "2023-11-14T22:13:20.010Z"}, {"ts", now + 10}}));
    EXPECT_TRUE(j["reply"].is_null());
    EXPECT_TRUE(j["response_topic"].is_null());
}

}  // namespace
