// Retained messages in one set ordered by topic (bytewise). An entry is the
// message's pointer alone: the key is the message's own topic, so no topic
// string is stored twice and no node exists per topic level (memory per
// retained message, bench retained scenario). A filter is served as a range:
// the topics starting with its literal prefix, checked one by one.
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "mqtt/storage.hpp"
#include "mqtt/topic.hpp"

namespace mqgate::mqtt {
namespace {

struct ByTopic {
    using is_transparent = void;
    static std::string_view key(const MessagePtr& m) noexcept { return m->topic; }
    static std::string_view key(std::string_view s) noexcept { return s; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const noexcept {
        return key(a) < key(b);
    }
};

// What every topic matching `filter` starts with: the text before its first
// wildcard, less the '/' before a '#' ("a/#" matches "a" too).
std::string_view literal_prefix(std::string_view filter) noexcept {
    const auto wild = filter.find_first_of("+#");
    if (wild == std::string_view::npos) return filter;
    auto prefix = filter.substr(0, wild);
    if (filter[wild] == '#' && !prefix.empty()) prefix.remove_suffix(1);
    return prefix;
}

class MemoryRetainedStore final : public RetainedStore {
public:
    void put(MessagePtr msg) override {
        const auto it = messages_.find(std::string_view(msg->topic));
        if (it == messages_.end()) {
            messages_.insert(std::move(msg));
            return;
        }
        // Same key: the node is reused, nothing is allocated.
        auto node = messages_.extract(it);
        node.value() = std::move(msg);
        messages_.insert(std::move(node));
    }

    bool erase(std::string_view topic) override {
        const auto it = messages_.find(topic);
        if (it == messages_.end()) return false;
        messages_.erase(it);
        return true;
    }

    MessagePtr get(std::string_view topic) const override {
        const auto it = messages_.find(topic);
        return it == messages_.end() ? nullptr : *it;
    }

    RetainedScan scan(std::string_view filter, std::string_view after, std::size_t budget,
                      const std::function<bool(const MessagePtr&)>& f) const override {
        const std::string_view prefix = literal_prefix(filter);
        const bool exact = prefix.size() == filter.size();
        // Is `it` still a topic the filter could match?
        const auto in_range = [&](Set::const_iterator it) {
            if (it == messages_.end()) return false;
            const std::string_view topic = (*it)->topic;
            return exact ? topic == filter : topic.starts_with(prefix);
        };
        auto it = after < prefix ? messages_.lower_bound(prefix) : messages_.upper_bound(after);
        const Message* last = nullptr;
        for (; budget > 0 && in_range(it); --budget) {
            const MessagePtr& msg = *it++;
            last = msg.get();
            if (topic_matches(filter, msg->topic) && !f(msg)) break;
        }
        RetainedScan out;
        if (last) out.last = last->topic;
        out.done = !in_range(it);
        return out;
    }

    std::size_t size() const override { return messages_.size(); }

    void for_each(const std::function<void(const MessagePtr&)>& f) const override {
        for (const MessagePtr& msg : messages_) f(msg);
    }

private:
    using Set = std::set<MessagePtr, ByTopic>;
    Set messages_;
};

}  // namespace

std::shared_ptr<RetainedStore> make_memory_retained_store() { return std::make_shared<MemoryRetainedStore>(); }

}  // namespace mqgate::mqtt
