// Topic names, filters and matching (§4.7).
#include <gtest/gtest.h>

#include "mqtt/errors.hpp"
#include "mqtt/topic.hpp"

namespace mqgate::mqtt {
namespace {

TEST(TopicName, AcceptsOrdinaryNames) {
    EXPECT_FALSE(validate_topic_name("sport/tennis/player1"));
    EXPECT_FALSE(validate_topic_name("/"));
    EXPECT_FALSE(validate_topic_name("a//b/"));
    EXPECT_FALSE(validate_topic_name("$SYS/broker/uptime"));
    EXPECT_FALSE(validate_topic_name(" "));
}

// [MQTT-4.7.3-1]
TEST(TopicName, Mqtt_4_7_3_1_EmptyIsRejected) {
    EXPECT_EQ(validate_topic_name(""), Errc::empty_topic);
    EXPECT_EQ(validate_topic_filter(""), Errc::empty_topic);
}

// [MQTT-3.3.2-2], [MQTT-4.7.1-1]
TEST(TopicName, Mqtt_3_3_2_2_WildcardsAreRejected) {
    EXPECT_EQ(validate_topic_name("sport/+"), Errc::wildcard_in_topic_name);
    EXPECT_EQ(validate_topic_name("#"), Errc::wildcard_in_topic_name);
    EXPECT_EQ(validate_topic_name("sport/tennis#"), Errc::wildcard_in_topic_name);
}

// [MQTT-4.7.3-2]
TEST(TopicName, Mqtt_4_7_3_2_NullCharacterIsRejected) {
    EXPECT_EQ(validate_topic_name(std::string_view("a\0b", 3)), Errc::utf8_null_character);
    EXPECT_EQ(validate_topic_filter(std::string_view("a/\0", 3)), Errc::utf8_null_character);
}

TEST(TopicName, InvalidUtf8IsRejected) {
    EXPECT_EQ(validate_topic_name("a/\xED\xA0\x80"), Errc::invalid_utf8);
    EXPECT_EQ(validate_topic_filter("\xC0\x80/#"), Errc::invalid_utf8);
}

TEST(TopicFilter, AcceptsSpecExamples) {
    for (const char* f : {"sport/tennis/player1/#", "sport/#", "#", "+", "+/tennis/#", "sport/+/player1", "+/+", "/+",
                          "sport/tennis/+", "$SYS/#", "a//b", "/"}) {
        EXPECT_FALSE(validate_topic_filter(f)) << f;
    }
}

// [MQTT-4.7.1-2], [MQTT-4.7.1-3]
TEST(TopicFilter, Mqtt_4_7_1_2_and_3_RejectsMisplacedWildcards) {
    for (const char* f : {"sport/tennis#", "sport/#/ranking", "sport+", "#/", "##", "a/+b", "+a/b", "a/#b", "+#"}) {
        EXPECT_EQ(validate_topic_filter(f), Errc::invalid_topic_filter) << f;
    }
}

TEST(TopicMatch, MultiLevelWildcard) {
    EXPECT_TRUE(topic_matches("sport/tennis/player1/#", "sport/tennis/player1"));
    EXPECT_TRUE(topic_matches("sport/tennis/player1/#", "sport/tennis/player1/ranking"));
    EXPECT_TRUE(topic_matches("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon"));
    EXPECT_TRUE(topic_matches("sport/#", "sport"));
    EXPECT_TRUE(topic_matches("#", "sport/tennis"));
    EXPECT_TRUE(topic_matches("#", "/"));
    EXPECT_FALSE(topic_matches("sport/tennis/player1/#", "sport/tennis/player2"));
    EXPECT_FALSE(topic_matches("sport/#", "sports"));
}

TEST(TopicMatch, SingleLevelWildcard) {
    EXPECT_TRUE(topic_matches("sport/tennis/+", "sport/tennis/player1"));
    EXPECT_TRUE(topic_matches("sport/tennis/+", "sport/tennis/player2"));
    EXPECT_FALSE(topic_matches("sport/tennis/+", "sport/tennis/player1/ranking"));
    EXPECT_FALSE(topic_matches("sport/+", "sport"));
    EXPECT_TRUE(topic_matches("sport/+", "sport/"));
    EXPECT_TRUE(topic_matches("+/+", "/finance"));
    EXPECT_TRUE(topic_matches("/+", "/finance"));
    EXPECT_FALSE(topic_matches("+", "/finance"));
    EXPECT_TRUE(topic_matches("+/+", "/"));
    EXPECT_TRUE(topic_matches("+", ""));
    EXPECT_TRUE(topic_matches("+/tennis/#", "sport/tennis/player1"));
    EXPECT_TRUE(topic_matches("sport/+/player1", "sport/tennis/player1"));
}

TEST(TopicMatch, ExactLevels) {
    EXPECT_TRUE(topic_matches("a/b", "a/b"));
    EXPECT_FALSE(topic_matches("a/b", "a/b/"));
    EXPECT_FALSE(topic_matches("a/b/", "a/b"));
    EXPECT_FALSE(topic_matches("a/b", "a"));
    EXPECT_TRUE(topic_matches("/", "/"));
}

// [MQTT-4.7.2-1]
TEST(TopicMatch, Mqtt_4_7_2_1_WildcardAtFirstLevelSkipsDollarTopics) {
    EXPECT_FALSE(topic_matches("#", "$SYS/broker/uptime"));
    EXPECT_FALSE(topic_matches("+/monitor/Clients", "$SYS/monitor/Clients"));
    EXPECT_FALSE(topic_matches("+", "$SYS"));
    EXPECT_TRUE(topic_matches("$SYS/#", "$SYS/monitor/Clients"));
    EXPECT_TRUE(topic_matches("$SYS/#", "$SYS"));
    EXPECT_TRUE(topic_matches("$SYS/monitor/+", "$SYS/monitor/Clients"));
    EXPECT_TRUE(topic_matches("a/#", "a/$b"));
}

// [MQTT-4.7.3-4]
TEST(TopicMatch, Mqtt_4_7_3_4_NoNormalisation) {
    EXPECT_FALSE(topic_matches("ACCOUNTS", "Accounts"));
    EXPECT_FALSE(topic_matches("a/b", "a//b"));
    EXPECT_FALSE(topic_matches("a/b", " a/b"));
    EXPECT_FALSE(topic_matches("caf\xC3\xA9", "cafe\xCC\x81"));  // precomposed vs combining accent
}

TEST(TopicLevels, CountsLevelsIncludingEmptyOnes) {
    EXPECT_EQ(topic_levels("a"), 1u);
    EXPECT_EQ(topic_levels("a/b/c"), 3u);
    EXPECT_EQ(topic_levels("/"), 2u);
    EXPECT_EQ(topic_levels("/finance"), 2u);
    EXPECT_EQ(topic_levels("a//b/"), 4u);
    EXPECT_EQ(topic_levels("sport/tennis/#"), 3u);
}

}  // namespace
}  // namespace mqgate::mqtt
