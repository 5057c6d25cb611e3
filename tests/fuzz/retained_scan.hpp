// Every retained message matching a filter, paged through RetainedStore::scan
// with a small budget as the REST API and the stream replay page, checking
// that pages resume where they stopped: topics come strictly increasing.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "mqtt/storage.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace mqgate::fuzz {

template <class F>
void scan_all(const mqtt::RetainedStore& store, std::string_view filter, std::size_t budget, F&& f) {
    std::string after;
    std::string previous;
    bool first = true;
    // Each call examines at least one stored topic: size() + 1 calls reach the end.
    for (std::size_t calls = 0; calls <= store.size() + 1; ++calls) {
        const auto scan = store.scan(filter, after, budget, [&](const mqtt::MessagePtr& m) {
            FUZZ_CHECK(first || previous < m->topic);
            first = false;
            previous = m->topic;
            f(m);
            return true;
        });
        if (scan.done) return;
        FUZZ_CHECK(scan.last > after);
        after = scan.last;
    }
    FUZZ_CHECK(!"scan did not reach the end");
}

}  // namespace mqgate::fuzz
