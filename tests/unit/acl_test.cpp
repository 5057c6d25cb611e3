#include <string>

#include <gtest/gtest.h>

#include "config/acl.hpp"

namespace {

using mqgate::config::Acl;
using mqgate::config::AuthFileError;
using mqgate::config::filter_covers;
using mqgate::mqtt::Access;

constexpr auto R = Access::read;
constexpr auto W = Access::write;

TEST(FilterCovers, SubsetSemantics) {
    EXPECT_TRUE(filter_covers("a/b", "a/b"));
    EXPECT_FALSE(filter_covers("a/b", "a/c"));
    EXPECT_FALSE(filter_covers("a/b", "a/+"));
    EXPECT_TRUE(filter_covers("a/+", "a/b"));
    EXPECT_TRUE(filter_covers("a/+", "a/+"));
    EXPECT_FALSE(filter_covers("a/+", "a/#"));
    EXPECT_FALSE(filter_covers("a/+", "a/b/c"));
    EXPECT_FALSE(filter_covers("a/+", "a"));
    EXPECT_TRUE(filter_covers("a/#", "a/+/c"));
    EXPECT_TRUE(filter_covers("a/#", "a/#"));
    EXPECT_TRUE(filter_covers("a/#", "a"));  // `a/#` matches the parent level
    EXPECT_TRUE(filter_covers("a/#", "a/b/c/d"));
    EXPECT_FALSE(filter_covers("a/#", "#"));
    EXPECT_FALSE(filter_covers("a/#", "+/b"));
    EXPECT_TRUE(filter_covers("+/+/c", "x/+/c"));
    EXPECT_FALSE(filter_covers("+/+/c", "x/+/#"));
    EXPECT_TRUE(filter_covers("#", "#"));
    EXPECT_TRUE(filter_covers("#", "+/x"));
    EXPECT_FALSE(filter_covers("a/b/c", "a/b"));
}

TEST(FilterCovers, FirstLevelWildcardsNeverCoverDollarTopics) {
    EXPECT_FALSE(filter_covers("#", "$SYS/broker/uptime"));
    EXPECT_FALSE(filter_covers("+/broker/#", "$SYS/broker/uptime"));
    EXPECT_TRUE(filter_covers("$SYS/#", "$SYS/broker/+"));
    EXPECT_TRUE(filter_covers("#", "+/broker"));  // '+' itself never matches '$SYS'
}

const char* const sample = R"(# anonymous clients
topic read public/#
topic write public/inbox

user alice
topic readwrite home/alice/#
topic sensors/+/temp
user bob
topic read home/alice/status
pattern write devices/%c/state
pattern read users/%u/#
)";

TEST(Acl, AnonymousSectionIsWhatComesBeforeAnyUser) {
    const auto acl = Acl::parse(sample, "acl");
    EXPECT_TRUE(acl.allows("", "c1", "public/news", R));
    EXPECT_TRUE(acl.allows("", "c1", "public/#", R));
    EXPECT_FALSE(acl.allows("", "c1", "public/news", W));
    EXPECT_TRUE(acl.allows("", "c1", "public/inbox", W));
    EXPECT_FALSE(acl.allows("", "c1", "home/alice/x", R));
    // A named user does not get the anonymous rules.
    EXPECT_FALSE(acl.allows("alice", "c1", "public/news", R));
}

TEST(Acl, UserSectionsAndAccessWords) {
    const auto acl = Acl::parse(sample, "acl");
    EXPECT_TRUE(acl.allows("alice", "c", "home/alice/lamp", W));
    EXPECT_TRUE(acl.allows("alice", "c", "home/alice/#", R));
    EXPECT_FALSE(acl.allows("alice", "c", "home/#", R));
    // No access word: readwrite.
    EXPECT_TRUE(acl.allows("alice", "c", "sensors/k/temp", W));
    EXPECT_TRUE(acl.allows("alice", "c", "sensors/+/temp", R));
    EXPECT_FALSE(acl.allows("alice", "c", "sensors/#", R));
    EXPECT_TRUE(acl.allows("bob", "c", "home/alice/status", R));
    EXPECT_FALSE(acl.allows("bob", "c", "home/alice/status", W));
    EXPECT_FALSE(acl.allows("carol", "c", "home/alice/status", R));
}

TEST(Acl, PatternsSubstituteUsernameAndClientIdForEveryone) {
    const auto acl = Acl::parse(sample, "acl");
    EXPECT_TRUE(acl.allows("carol", "dev7", "devices/dev7/state", W));
    EXPECT_FALSE(acl.allows("carol", "dev7", "devices/dev8/state", W));
    EXPECT_FALSE(acl.allows("carol", "dev7", "devices/dev7/state", R));
    EXPECT_TRUE(acl.allows("carol", "dev7", "users/carol/#", R));
    EXPECT_FALSE(acl.allows("carol", "dev7", "users/alice/x", R));
    EXPECT_TRUE(acl.allows("alice", "x", "users/alice/inbox", R));
    // %u does not apply without a username; %c does.
    EXPECT_FALSE(acl.allows("", "dev7", "users//x", R));
    EXPECT_TRUE(acl.allows("", "dev7", "devices/dev7/state", W));
    // A value that would widen the rule grants nothing.
    EXPECT_FALSE(acl.allows("#", "c", "users/x/y", R));
    EXPECT_FALSE(acl.allows("carol", "a/b", "devices/a/b/state", W));
    EXPECT_FALSE(acl.allows("carol", "+", "devices/x/state", W));
}

TEST(Acl, EmptyAclDeniesEverything) {
    const auto acl = Acl::parse("# nothing\n", "acl");
    EXPECT_FALSE(acl.allows("", "c", "a", R));
    EXPECT_FALSE(acl.allows("alice", "c", "a", W));
}

void expect_error(const std::string& text, std::size_t line, const std::string& reason_part) {
    try {
        Acl::parse(text, "x.acl");
        FAIL() << "accepted: " << text;
    } catch (const AuthFileError& e) {
        EXPECT_EQ(e.line(), line) << e.what();
        EXPECT_NE(e.reason().find(reason_part), std::string::npos) << e.what();
        EXPECT_EQ(std::string(e.what()).rfind("x.acl:" + std::to_string(line) + ": ", 0), 0u) << e.what();
    }
}

TEST(Acl, ParseErrorsNameTheLine) {
    expect_error("topic read a\nuser\n", 2, "needs a username");
    expect_error("\n\ntopics read a\n", 3, "unknown keyword");
    expect_error("topic read\n", 1, "needs a topic filter");
    expect_error("topic read a/#/b\n", 1, "invalid topic filter");
    expect_error("user a\npattern write x/%u+\n", 2, "invalid topic filter");
    expect_error("topic deny a/b\n", 1, "'deny' is not supported");
}

}  // namespace
