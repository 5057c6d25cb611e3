// Reading a named durable queue back at start-up (commands, webhook outbox,
// bridge queues), a page at a time so memory stays bounded per read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "store/store.hpp"

namespace mqgate::store {

// Calls `f(const QueueItem&)` for every item of `queue`, in seq order.
// Throws StoreError if the file cannot be read.
template <class F>
void for_each_queue_item(Store& store, const std::string& queue, F f, std::size_t page_size = 1000) {
    std::uint64_t after = 0;
    for (;;) {  // bounded by what the queue holds
        const auto page = store.read_queue(queue, after, page_size);
        for (const auto& item : page) {
            after = item.seq;
            f(item);
        }
        if (page.size() < page_size) return;
    }
}

}  // namespace mqgate::store
