// Subscriptions indexed by topic level, so a PUBLISH visits only the branches
// its topic can match instead of testing every filter.
//
// Filters and topics are assumed valid (mqtt/topic.hpp): '#' only as the last
// level, '+' only as a whole level. Levels are compared byte for byte, with no
// normalisation [MQTT-4.7.3-4]. Matching recurses once per filter level, so
// stack depth is bounded by the deepest filter inserted (the broker caps
// levels at BrokerLimits::max_topic_levels).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mqtt/topic_level.hpp"

namespace mqgate::mqtt {

namespace detail {

// Lets child maps be searched with a string_view level: no allocation on the
// publish path.
struct LevelHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

}  // namespace detail

template <class Key>
class SubscriptionTree {
public:
    // Adds or replaces (key's QoS for this exact filter). Returns true if it is new.
    bool insert(std::string_view filter, const Key& key, std::uint8_t qos) {
        Node* node = &root_;
        for (;;) {
            const auto part = detail::split_level(filter);
            node = &node->child_for_insert(part.level);
            if (part.last) break;
            filter = part.rest;
        }
        const bool added = node->subscribers.set(key, qos);
        if (added) ++size_;
        return added;
    }

    // Removes key's subscription on exactly this filter. Returns true if it
    // existed. Nodes left with no subscribers and no children are freed, so
    // unsubscribed branches cost nothing on later matches.
    bool erase(std::string_view filter, const Key& key) {
        const bool removed = erase_below(root_, filter, key);
        if (removed) --size_;
        return removed;
    }

    // Calls f(const Key&, std::uint8_t qos) once per (filter, key) pair whose
    // filter matches `topic`. A key with overlapping filters is reported once
    // per matching filter; the caller dedupes.
    template <class F>
    void match(std::string_view topic, F&& f) const {
        // [MQTT-4.7.2-1]: wildcards at the first level do not reach "$..." topics.
        const bool wildcards = topic.empty() || topic.front() != '$';
        match_below(root_, topic, f, wildcards);
    }

    std::size_t size() const noexcept { return size_; }

private:
    using Entry = std::pair<Key, std::uint8_t>;

    // Dense vector for the hot iteration, plus an index so subscribe and
    // unsubscribe stay O(1) when thousands of clients share one filter.
    class Subscribers {
    public:
        bool set(const Key& key, std::uint8_t qos) {
            const auto [it, added] = index_.try_emplace(key, entries_.size());
            if (added) {
                entries_.emplace_back(key, qos);
            } else {
                entries_[it->second].second = qos;
            }
            return added;
        }

        bool remove(const Key& key) {
            const auto it = index_.find(key);
            if (it == index_.end()) return false;
            const std::size_t slot = it->second;
            index_.erase(it);
            if (slot + 1 != entries_.size()) {
                entries_[slot] = std::move(entries_.back());
                index_[entries_[slot].first] = slot;
            }
            entries_.pop_back();
            return true;
        }

        bool empty() const noexcept { return entries_.empty(); }

        template <class F>
        void report(F& f) const {
            for (const auto& [key, qos] : entries_) f(key, qos);
        }

    private:
        std::vector<Entry> entries_;
        std::unordered_map<Key, std::size_t> index_;
    };

    struct Node {
        // Wildcard children live apart from literal ones: match checks them
        // without a hash lookup, and a literal level never collides with them.
        std::unordered_map<std::string, std::unique_ptr<Node>, detail::LevelHash, std::equal_to<>> children;
        std::unique_ptr<Node> plus;
        std::unique_ptr<Node> hash;
        Subscribers subscribers;

        bool unused() const noexcept { return subscribers.empty() && children.empty() && !plus && !hash; }

        Node& child_for_insert(std::string_view level) {
            if (level == "+") return ensure(plus);
            if (level == "#") return ensure(hash);
            auto it = children.find(level);
            if (it == children.end()) it = children.emplace(std::string(level), std::make_unique<Node>()).first;
            return *it->second;
        }

        static Node& ensure(std::unique_ptr<Node>& slot) {
            if (!slot) slot = std::make_unique<Node>();
            return *slot;
        }
    };

    static bool erase_below(Node& node, std::string_view filter, const Key& key) {
        const auto part = detail::split_level(filter);
        auto erase_in = [&](std::unique_ptr<Node>& child) {
            const bool removed = part.last ? child->subscribers.remove(key) : erase_below(*child, part.rest, key);
            return std::pair{removed, child->unused()};
        };
        if (part.level == "+" || part.level == "#") {
            auto& slot = part.level == "+" ? node.plus : node.hash;
            if (!slot) return false;
            const auto [removed, unused] = erase_in(slot);
            if (unused) slot.reset();
            return removed;
        }
        const auto it = node.children.find(part.level);
        if (it == node.children.end()) return false;
        const auto [removed, unused] = erase_in(it->second);
        if (unused) node.children.erase(it);
        return removed;
    }

    // `node` has consumed the topic levels before `topic`; `topic` holds at
    // least one more level.
    template <class F>
    static void match_below(const Node& node, std::string_view topic, F& f, bool wildcards) {
        const auto part = detail::split_level(topic);
        if (wildcards) {
            if (node.hash) node.hash->subscribers.report(f);
            if (node.plus) match_at(*node.plus, part, f);
        }
        if (const auto it = node.children.find(part.level); it != node.children.end()) match_at(*it->second, part, f);
    }

    template <class F>
    static void match_at(const Node& node, const detail::LevelSplit& part, F& f) {
        if (!part.last) {
            match_below(node, part.rest, f, true);
            return;
        }
        node.subscribers.report(f);
        // "sport/#" also matches "sport": '#' includes the parent level.
        if (node.hash) node.hash->subscribers.report(f);
    }

    Node root_;
    std::size_t size_ = 0;
};

}  // namespace mqgate::mqtt
