// Retained messages in a trie of topic levels: a SUBSCRIBE walks only the
// branches its filter can match. Children are kept sorted so delivery order
// (and the REST listing) is deterministic.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "mqtt/storage.hpp"
#include "mqtt/topic_level.hpp"

namespace mqgate::mqtt {
namespace {

struct TopicNode {
    MessagePtr message;
    std::map<std::string, std::unique_ptr<TopicNode>, std::less<>> children;

    bool unused() const noexcept { return !message && children.empty(); }
};

using Visitor = std::function<void(const MessagePtr&)>;

// Skips "$..." children when the filter level is a wildcard at the first
// level [MQTT-4.7.2-1].
bool hidden(std::string_view level, bool first) noexcept { return first && !level.empty() && level.front() == '$'; }

void report_subtree(const TopicNode& node, const Visitor& f) {
    if (node.message) f(node.message);
    for (const auto& [level, child] : node.children) report_subtree(*child, f);
}

void match_below(const TopicNode& node, std::string_view filter, const Visitor& f, bool first);

void match_at(const TopicNode& child, const detail::LevelSplit& part, const Visitor& f) {
    if (part.last) {
        if (child.message) f(child.message);
        return;
    }
    match_below(child, part.rest, f, false);
}

// `node` has consumed the topic levels matched by the filter levels before
// `filter`; `filter` holds at least one more level.
void match_below(const TopicNode& node, std::string_view filter, const Visitor& f, bool first) {
    const auto part = detail::split_level(filter);
    if (part.level == "#") {
        // '#' includes the parent level: "sport/#" returns "sport". The root
        // stands for no level and never holds a message.
        if (node.message) f(node.message);
        for (const auto& [level, child] : node.children) {
            if (!hidden(level, first)) report_subtree(*child, f);
        }
        return;
    }
    if (part.level == "+") {
        for (const auto& [level, child] : node.children) {
            if (!hidden(level, first)) match_at(*child, part, f);
        }
        return;
    }
    if (const auto it = node.children.find(part.level); it != node.children.end()) match_at(*it->second, part, f);
}

// Returns true if the message was there. Prunes nodes left unused.
bool erase_below(TopicNode& node, std::string_view topic) {
    const auto part = detail::split_level(topic);
    const auto it = node.children.find(part.level);
    if (it == node.children.end()) return false;
    TopicNode& child = *it->second;
    bool removed = false;
    if (part.last) {
        removed = child.message != nullptr;
        child.message.reset();
    } else {
        removed = erase_below(child, part.rest);
    }
    if (child.unused()) node.children.erase(it);
    return removed;
}

class MemoryRetainedStore final : public RetainedStore {
public:
    void put(MessagePtr msg) override {
        TopicNode* node = &root_;
        std::string_view topic = msg->topic;
        for (;;) {
            const auto part = detail::split_level(topic);
            auto it = node->children.find(part.level);
            if (it == node->children.end()) {
                it = node->children.emplace(std::string(part.level), std::make_unique<TopicNode>()).first;
            }
            node = it->second.get();
            if (part.last) break;
            topic = part.rest;
        }
        if (!node->message) ++size_;
        node->message = std::move(msg);
    }

    bool erase(std::string_view topic) override {
        const bool removed = erase_below(root_, topic);
        if (removed) --size_;
        return removed;
    }

    MessagePtr get(std::string_view topic) const override {
        const TopicNode* node = &root_;
        for (;;) {
            const auto part = detail::split_level(topic);
            const auto it = node->children.find(part.level);
            if (it == node->children.end()) return nullptr;
            node = it->second.get();
            if (part.last) return node->message;
            topic = part.rest;
        }
    }

    void match(std::string_view filter, const Visitor& f) const override { match_below(root_, filter, f, true); }

    std::size_t size() const override { return size_; }

private:
    TopicNode root_;
    std::size_t size_ = 0;
};

}  // namespace

std::shared_ptr<RetainedStore> make_memory_retained_store() { return std::make_shared<MemoryRetainedStore>(); }

}  // namespace mqgate::mqtt
