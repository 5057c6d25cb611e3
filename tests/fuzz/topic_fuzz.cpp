// Topic names and filters: validation on raw bytes, then the subscription
// tree and the retained store under random subscribe / unsubscribe / match
// (put / erase / match) sequences, each answer checked against a plain
// reference matcher written from §4.7 (differential).
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "mqtt/storage.hpp"
#include "mqtt/subscription_tree.hpp"
#include "mqtt/topic.hpp"
#include "tests/fuzz/fuzz_support.hpp"
#include "tests/fuzz/retained_scan.hpp"

using namespace mqgate::mqtt;

namespace {

// The levels of a name or filter, each a copy: written apart from the
// code under test on purpose.
std::vector<std::string> levels(std::string_view s) {
    std::vector<std::string> out(1);
    for (const char c : s) {
        if (c == '/') {
            out.emplace_back();
        } else {
            out.back() += c;
        }
    }
    return out;
}

// §4.7.1-4.7.2, level by level, with nothing shared with the code under test.
bool reference_match(std::string_view filter, std::string_view topic) {
    const auto f = levels(filter);
    const auto t = levels(topic);
    if (!topic.empty() && topic.front() == '$' && (f[0] == "+" || f[0] == "#")) return false;
    for (std::size_t i = 0; i < f.size(); ++i) {
        if (f[i] == "#") return true;  // also the parent level: "a/#" matches "a"
        if (i >= t.size()) return false;
        if (f[i] != "+" && f[i] != t[i]) return false;
    }
    return f.size() == t.size();
}

bool reference_valid_filter(std::string_view filter) {
    const auto f = levels(filter);
    for (std::size_t i = 0; i < f.size(); ++i) {
        if (f[i] == "#" && i + 1 == f.size()) continue;
        if (f[i] == "+") continue;
        if (f[i].find_first_of("+#") != std::string::npos) return false;
    }
    return true;
}

// Names use the first four parts, filters all of them.
std::string pick_topic(FuzzedDataProvider& in, bool filter) {
    static constexpr std::string_view parts[] = {"a", "b", "", "$SYS", "+", "#", "sport", "a+", "#b"};
    return mqgate::fuzz::pick_levels(in, std::span(parts).first(filter ? 9 : 4));
}

void check_validation(std::string_view s) {
    const bool name_ok = !validate_topic_name(s);
    const bool filter_ok = !validate_topic_filter(s);
    std::size_t slashes = 0;
    for (char c : s) slashes += c == '/';
    FUZZ_CHECK(topic_levels(s) == slashes + 1);
    // A valid name is a valid filter; both are non-empty and wildcard rules agree.
    if (name_ok) FUZZ_CHECK(filter_ok && s.find_first_of("+#") == std::string_view::npos);
    if (filter_ok) FUZZ_CHECK(!s.empty() && reference_valid_filter(s));
    if (name_ok) FUZZ_CHECK(topic_matches(s, s));
}

void run_tree(FuzzedDataProvider& in) {
    SubscriptionTree<int> tree;
    std::map<std::pair<std::string, int>, std::uint8_t> reference;  // (filter, key) -> qos
    auto retained = make_memory_retained_store();
    std::map<std::string, std::string, std::less<>> retained_ref;     // topic -> payload

    while (in.remaining_bytes() > 0) {
        const int key = in.ConsumeIntegralInRange<int>(0, 3);
        switch (in.ConsumeIntegralInRange<int>(0, 5)) {
        case 0: {  // subscribe
            const auto filter = pick_topic(in, true);
            if (validate_topic_filter(filter)) break;
            const auto qos = in.ConsumeIntegralInRange<std::uint8_t>(0, 2);
            const bool added = tree.insert(filter, key, qos);
            FUZZ_CHECK(added == !reference.contains({filter, key}));
            reference[{filter, key}] = qos;
            break;
        }
        case 1: {  // unsubscribe
            const auto filter = pick_topic(in, true);
            if (validate_topic_filter(filter)) break;
            FUZZ_CHECK(tree.erase(filter, key) == (reference.erase({filter, key}) == 1));
            break;
        }
        case 2: {  // match
            const auto topic = pick_topic(in, false);
            if (validate_topic_name(topic)) break;
            std::multiset<std::pair<int, std::uint8_t>> got, want;
            tree.match(topic, [&](int k, std::uint8_t qos) { got.emplace(k, qos); });
            for (const auto& [fk, qos] : reference) {
                FUZZ_CHECK(topic_matches(fk.first, topic) == reference_match(fk.first, topic));
                if (reference_match(fk.first, topic)) want.emplace(fk.second, qos);
            }
            FUZZ_CHECK(got == want);
            break;
        }
        case 3: {  // retain
            const auto topic = pick_topic(in, false);
            if (validate_topic_name(topic)) break;
            auto msg = std::make_shared<Message>();
            msg->topic = topic;
            msg->payload = std::to_string(key);
            retained->put(msg);
            retained_ref[topic] = msg->payload;
            break;
        }
        case 4: {  // retained delete
            const auto topic = pick_topic(in, false);
            if (validate_topic_name(topic)) break;
            FUZZ_CHECK(retained->erase(topic) == (retained_ref.erase(topic) == 1));
            FUZZ_CHECK(retained->get(topic) == nullptr);
            break;
        }
        default: {  // retained match
            const auto filter = pick_topic(in, true);
            if (validate_topic_filter(filter)) break;
            std::map<std::string, std::string, std::less<>> got, want;
            const auto budget = in.ConsumeIntegralInRange<std::size_t>(1, 8);
            mqgate::fuzz::scan_all(*retained, filter, budget,
                     [&](const MessagePtr& m) { FUZZ_CHECK(got.emplace(m->topic, m->payload).second); });
            for (const auto& [topic, payload] : retained_ref)
                if (reference_match(filter, topic)) want.emplace(topic, payload);
            FUZZ_CHECK(got == want);
            break;
        }
        }
        FUZZ_CHECK(tree.size() == reference.size());
        FUZZ_CHECK(retained->size() == retained_ref.size());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    if (in.ConsumeBool()) {
        check_validation(in.ConsumeRemainingBytesAsString());
        return 0;
    }
    // Raw strings for the matcher too: any pair of a valid filter and name.
    const auto a = in.ConsumeRandomLengthString(64);
    const auto b = in.ConsumeRandomLengthString(64);
    if (!validate_topic_filter(a) && !validate_topic_name(b)) FUZZ_CHECK(topic_matches(a, b) == reference_match(a, b));
    run_tree(in);
    return 0;
}
