#include "mqtt/subscription_tree.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace {

using mqgate::mqtt::SubscriptionTree;
using Report = std::pair<int, std::uint8_t>;

std::vector<Report> reports(const SubscriptionTree<int>& tree, std::string_view topic) {
    std::vector<Report> out;
    tree.match(topic, [&](const int& key, std::uint8_t qos) { out.emplace_back(key, qos); });
    std::sort(out.begin(), out.end());
    return out;
}

bool matches_one(std::string_view filter, std::string_view topic) {
    SubscriptionTree<int> tree;
    tree.insert(filter, 1, 0);
    return !reports(tree, topic).empty();
}

std::vector<std::string> split(std::string_view s) {
    std::vector<std::string> levels;
    std::size_t start = 0;
    for (;;) {
        const auto slash = s.find('/', start);
        levels.emplace_back(s.substr(start, slash - start));
        if (slash == std::string_view::npos) return levels;
        start = slash + 1;
    }
}

// The §4.7 rules written the obvious way, independent of the trie. Takes
// levels already split so the randomized cross-check stays fast.
bool brute_force_matches(const std::vector<std::string>& f, const std::vector<std::string>& t) {
    if (!t[0].empty() && t[0].front() == '$' && (f[0] == "+" || f[0] == "#")) return false;
    for (std::size_t i = 0; i < f.size(); ++i) {
        if (f[i] == "#") return true;
        if (i >= t.size()) return false;
        if (f[i] != "+" && f[i] != t[i]) return false;
    }
    return f.size() == t.size();
}

bool brute_force_matches(std::string_view filter, std::string_view topic) {
    return brute_force_matches(split(filter), split(topic));
}

TEST(SubscriptionTree, SpecMultiLevelWildcardExamples) {
    EXPECT_TRUE(matches_one("sport/tennis/player1/#", "sport/tennis/player1"));
    EXPECT_TRUE(matches_one("sport/tennis/player1/#", "sport/tennis/player1/ranking"));
    EXPECT_TRUE(matches_one("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon"));
    EXPECT_FALSE(matches_one("sport/tennis/player1/#", "sport/tennis/player2"));
    EXPECT_FALSE(matches_one("sport/tennis/player1/#", "sport/tennis"));
    EXPECT_TRUE(matches_one("sport/#", "sport"));
    EXPECT_TRUE(matches_one("#", "sport/tennis"));
}

TEST(SubscriptionTree, SpecSingleLevelWildcardExamples) {
    EXPECT_TRUE(matches_one("sport/tennis/+", "sport/tennis/player1"));
    EXPECT_FALSE(matches_one("sport/tennis/+", "sport/tennis/player1/ranking"));
    EXPECT_FALSE(matches_one("sport/+", "sport"));
    EXPECT_FALSE(matches_one("sport/+", "sport/tennis/player1"));
    EXPECT_TRUE(matches_one("sport/+", "sport/"));
    EXPECT_TRUE(matches_one("+/+", "/finance"));
    EXPECT_TRUE(matches_one("/+", "/finance"));
    EXPECT_FALSE(matches_one("+", "/finance"));
    EXPECT_TRUE(matches_one("+/tennis/#", "sport/tennis/player1"));
}

TEST(SubscriptionTree, DollarTopicsNeedALiteralFirstLevel) {
    EXPECT_FALSE(matches_one("#", "$SYS/monitor/Clients"));
    EXPECT_FALSE(matches_one("+/monitor/Clients", "$SYS/monitor/Clients"));
    EXPECT_TRUE(matches_one("$SYS/#", "$SYS/monitor/Clients"));
    EXPECT_TRUE(matches_one("$SYS/monitor/+", "$SYS/monitor/Clients"));
    EXPECT_TRUE(matches_one("$SYS/+/Clients", "$SYS/monitor/Clients"));
    // The rule concerns the first level only.
    EXPECT_TRUE(matches_one("a/+", "a/$b"));
    EXPECT_TRUE(matches_one("a/#", "a/$b"));
}

TEST(SubscriptionTree, LevelsAreComparedWithoutNormalisation) {
    EXPECT_FALSE(matches_one("a/b", "a//b"));
    EXPECT_TRUE(matches_one("a//b", "a//b"));
    EXPECT_TRUE(matches_one("a/+/b", "a//b"));
    EXPECT_FALSE(matches_one("a/b", "a/b/"));
    EXPECT_FALSE(matches_one("a/b", "A/b"));
    EXPECT_FALSE(matches_one("a/b ", "a/b"));
    EXPECT_TRUE(matches_one("/", "/"));
    EXPECT_TRUE(matches_one("+/+", "/"));
    EXPECT_FALSE(matches_one("+", "/"));
}

TEST(SubscriptionTree, OverlappingFiltersAreReportedOncePerFilter) {
    SubscriptionTree<int> tree;
    EXPECT_TRUE(tree.insert("a/b", 7, 0));
    EXPECT_TRUE(tree.insert("a/+", 7, 1));
    EXPECT_TRUE(tree.insert("a/#", 7, 2));
    EXPECT_TRUE(tree.insert("#", 8, 1));
    EXPECT_EQ(tree.size(), 4u);
    EXPECT_EQ(reports(tree, "a/b"), (std::vector<Report>{{7, 0}, {7, 1}, {7, 2}, {8, 1}}));
    EXPECT_EQ(reports(tree, "a/c"), (std::vector<Report>{{7, 1}, {7, 2}, {8, 1}}));
    EXPECT_EQ(reports(tree, "a"), (std::vector<Report>{{7, 2}, {8, 1}}));
    EXPECT_EQ(reports(tree, "b"), (std::vector<Report>{{8, 1}}));
}

TEST(SubscriptionTree, InsertingAgainReplacesTheQos) {
    SubscriptionTree<int> tree;
    EXPECT_TRUE(tree.insert("a/+", 1, 0));
    EXPECT_FALSE(tree.insert("a/+", 1, 2));
    EXPECT_EQ(tree.size(), 1u);
    EXPECT_EQ(reports(tree, "a/x"), (std::vector<Report>{{1, 2}}));
}

TEST(SubscriptionTree, EraseRemovesOnlyThatPair) {
    SubscriptionTree<int> tree;
    tree.insert("a/b/c", 1, 0);
    tree.insert("a/b/c", 2, 1);
    tree.insert("a/b", 1, 1);
    tree.insert("a/#", 3, 0);

    EXPECT_FALSE(tree.erase("a/b/c", 3));
    EXPECT_FALSE(tree.erase("a/b/x", 1));
    EXPECT_FALSE(tree.erase("a/+", 1));
    EXPECT_FALSE(tree.erase("a", 1));
    EXPECT_EQ(tree.size(), 4u);

    EXPECT_TRUE(tree.erase("a/b/c", 1));
    EXPECT_FALSE(tree.erase("a/b/c", 1));
    EXPECT_EQ(tree.size(), 3u);
    EXPECT_EQ(reports(tree, "a/b/c"), (std::vector<Report>{{2, 1}, {3, 0}}));
    EXPECT_EQ(reports(tree, "a/b"), (std::vector<Report>{{1, 1}, {3, 0}}));
}

TEST(SubscriptionTree, ErasePrunesAndReinsertWorks) {
    SubscriptionTree<int> tree;
    tree.insert("x/y/z/#", 1, 1);
    tree.insert("x/+/z", 1, 1);
    tree.insert("x", 2, 0);
    EXPECT_TRUE(tree.erase("x/y/z/#", 1));
    EXPECT_TRUE(tree.erase("x/+/z", 1));
    EXPECT_EQ(tree.size(), 1u);
    EXPECT_TRUE(reports(tree, "x/y/z").empty());
    EXPECT_TRUE(reports(tree, "x/y/z/w").empty());
    // The parent's own subscribers survive the pruning of its children.
    EXPECT_EQ(reports(tree, "x"), (std::vector<Report>{{2, 0}}));
    EXPECT_TRUE(tree.erase("x", 2));
    EXPECT_EQ(tree.size(), 0u);
    EXPECT_TRUE(reports(tree, "x").empty());

    EXPECT_TRUE(tree.insert("x/y/z/#", 1, 2));
    EXPECT_EQ(reports(tree, "x/y/z/w"), (std::vector<Report>{{1, 2}}));
}

TEST(SubscriptionTree, ManyKeysOnOneFilter) {
    SubscriptionTree<int> tree;
    constexpr int keys = 5000;
    for (int k = 0; k < keys; ++k) tree.insert("load/+/value", k, static_cast<std::uint8_t>(k % 3));
    EXPECT_EQ(tree.size(), static_cast<std::size_t>(keys));
    // Remove every other key: swap-removal must keep the rest reachable with their QoS.
    for (int k = 0; k < keys; k += 2) ASSERT_TRUE(tree.erase("load/+/value", k));
    const auto got = reports(tree, "load/sensor7/value");
    ASSERT_EQ(got.size(), static_cast<std::size_t>(keys / 2));
    for (std::size_t i = 0; i < got.size(); ++i) {
        const int k = static_cast<int>(2 * i + 1);
        EXPECT_EQ(got[i], (Report{k, static_cast<std::uint8_t>(k % 3)}));
    }
    for (int k = 1; k < keys; k += 2) ASSERT_TRUE(tree.erase("load/+/value", k));
    EXPECT_EQ(tree.size(), 0u);
    EXPECT_TRUE(reports(tree, "load/sensor7/value").empty());
}

TEST(SubscriptionTree, PointerKeys) {
    int a = 0;
    int b = 0;
    SubscriptionTree<const int*> tree;
    tree.insert("t/#", &a, 1);
    tree.insert("t/+", &b, 0);
    std::map<const int*, std::uint8_t> got;
    tree.match("t/1", [&](const int* const& key, std::uint8_t qos) { got[key] = qos; });
    EXPECT_EQ(got, (std::map<const int*, std::uint8_t>{{&a, 1}, {&b, 0}}));
}

class RandomFilters {
public:
    explicit RandomFilters(std::uint32_t seed) : rng_(seed) {}

    std::string topic() {
        static const char* const levels[] = {"a", "b", "c", "", "$x"};
        return join(1 + pick(4), [&](std::size_t i) -> std::string {
            // '$' only as a first level, where the rule under test applies.
            return levels[pick(i == 0 ? 5 : 4)];
        });
    }

    std::string filter() {
        static const char* const levels[] = {"a", "b", "c", "", "+", "$x"};
        const std::size_t count = 1 + pick(4);
        return join(count, [&](std::size_t i) -> std::string {
            if (i + 1 == count && pick(4) == 0) return "#";
            return levels[pick(i == 0 ? 6 : 5)];
        });
    }

    std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }

private:
    template <class Level>
    std::string join(std::size_t count, Level level) {
        std::string out;
        for (std::size_t i = 0; i < count; ++i) {
            if (i) out += '/';
            out += level(i);
        }
        return out;
    }

    std::mt19937 rng_;
};

TEST(SubscriptionTree, AgreesWithBruteForceOnRandomFilters) {
    RandomFilters gen(20240611);
    SubscriptionTree<int> tree;
    std::map<std::pair<std::string, int>, std::uint8_t> reference;

    auto check_topics = [&] {
        std::vector<std::pair<std::vector<std::string>, Report>> filters;
        for (const auto& [entry, qos] : reference) filters.emplace_back(split(entry.first), Report{entry.second, qos});
        for (int i = 0; i < 1500; ++i) {
            const auto topic = gen.topic();
            const auto topic_levels = split(topic);
            std::vector<Report> expected;
            for (const auto& [levels, report] : filters) {
                if (brute_force_matches(levels, topic_levels)) expected.push_back(report);
            }
            std::sort(expected.begin(), expected.end());
            ASSERT_EQ(reports(tree, topic), expected) << "topic '" << topic << "'";
        }
    };

    for (int i = 0; i < 3000; ++i) {
        const auto filter = gen.filter();
        const int key = static_cast<int>(gen.pick(40));
        const auto qos = static_cast<std::uint8_t>(gen.pick(3));
        const bool is_new = reference.insert_or_assign({filter, key}, qos).second;
        ASSERT_EQ(tree.insert(filter, key, qos), is_new) << filter;
    }
    ASSERT_EQ(tree.size(), reference.size());
    check_topics();

    for (int i = 0; i < 3000; ++i) {
        const auto filter = gen.filter();
        const int key = static_cast<int>(gen.pick(40));
        const bool existed = reference.erase({filter, key}) == 1;
        ASSERT_EQ(tree.erase(filter, key), existed) << filter;
    }
    ASSERT_EQ(tree.size(), reference.size());
    check_topics();
}

TEST(BruteForceMatcher, SelfCheck) {
    // The reference must itself follow §4.7, or the cross-check proves nothing.
    EXPECT_TRUE(brute_force_matches("sport/#", "sport"));
    EXPECT_FALSE(brute_force_matches("sport/+", "sport"));
    EXPECT_FALSE(brute_force_matches("+", "/finance"));
    EXPECT_FALSE(brute_force_matches("#", "$SYS/a"));
    EXPECT_TRUE(brute_force_matches("$SYS/#", "$SYS"));
}

}  // namespace
