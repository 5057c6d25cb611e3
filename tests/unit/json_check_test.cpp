#include "support/json_check.hpp"

#include <string>

#include <gtest/gtest.h>

namespace {

using mqgate::json_check::check;
using Kind = mqgate::json_check::Defect::Kind;

TEST(JsonCheck, AcceptsValidJsonWithoutRepeatedKeys) {
    for (const char* text : {R"({"topic":"a","payload":"b","qos":1})", R"([{"a":1},{"a":2}])", R"({"a":{"a":{"a":1}}})",
                             "[]", "\"x\"", "null", R"({"":1,"b":[1,2.5,true,null]})"}) {
        EXPECT_FALSE(check(text)) << text;
    }
}

TEST(JsonCheck, RepeatedKeyIsADefectNamingItsPath) {
    auto d = check(R"({"topic":"public/x","payload":"1","topic":"secret/y"})");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->kind, Kind::duplicate_key);
    EXPECT_EQ(d->key, "topic");
    EXPECT_NE(d->message.find("duplicate key 'topic'"), std::string::npos) << d->message;

    d = check(R"({"mqtt":{"port":1,"max_inflight":2,"max_inflight":3}})");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->key, "mqtt.max_inflight");

    d = check(R"([{"topic":"a"},{"topic":"b","qos":0,"qos":1}])");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->key, "[1].qos");

    d = check(R"({"tokens":[1,{"name":"a"},{"name":"b","name":"c"}]})");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->key, "tokens[2].name");
}

TEST(JsonCheck, NestingIsBounded) {
    const auto nested = [](std::size_t levels) { return std::string(levels, '[') + std::string(levels, ']'); };
    EXPECT_FALSE(check(nested(64)));
    auto d = check(nested(65));
    ASSERT_TRUE(d);
    EXPECT_EQ(d->kind, Kind::too_deep);
    EXPECT_NE(d->message.find("64"), std::string::npos) << d->message;
    // Far deeper input stops at the limit instead of being read through.
    d = check(std::string(1 << 20, '['));
    ASSERT_TRUE(d);
    EXPECT_EQ(d->kind, Kind::too_deep);
    EXPECT_TRUE(check(R"({"a":{"b":1}})", false, 1));
}

TEST(JsonCheck, SyntaxErrorsAndComments) {
    auto d = check("{\"a\": oops}");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->kind, Kind::syntax);
    EXPECT_NE(d->message.find("line 1, column"), std::string::npos) << d->message;
    EXPECT_TRUE(check("{} // note"));
    EXPECT_FALSE(check("{\"a\": 1} // note", true));
    EXPECT_TRUE(check(""));
}

}  // namespace
