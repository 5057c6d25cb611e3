#include "net/io_pool.hpp"

#include <algorithm>
#include <exception>

#include "net/epoll_set.hpp"
#include "support/log.hpp"

namespace mqgate::net {

IoPool::IoPool(std::size_t threads) {
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    contexts_.reserve(threads);
    guards_.reserve(threads);
    for (std::size_t i = 0; i < threads; ++i) {
        // Concurrency hint 1: each context is run by exactly one thread, so
        // Asio queues work posted from that thread without the shared queue.
        // Posting from other threads stays safe.
        contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
        guards_.push_back(boost::asio::make_work_guard(*contexts_.back()));
        // Made now rather than by the first connection: creating it can fail
        // (epoll_create1: out of descriptors), and here that stops start-up
        // with a clear error instead of escaping an accept handler later.
        EpollSet::of(*contexts_.back());
    }
}

IoPool::~IoPool() {
    stop();
    join();
    drain();
}

void IoPool::drain() {
    // Run what completed after stop() (aborted accepts, finished closes) here,
    // before any context is destroyed: an accept pending on one context holds
    // a socket of another, and destroying the contexts in turn would leave it
    // pointing at a dead one (ASan: heap-use-after-free at exit). Two rounds,
    // since a handler on one context may post to another.
    for (int round = 0; round < 2; ++round) {
        for (auto& ctx : contexts_) {
            ctx->restart();
            ctx->poll();
        }
    }
}

boost::asio::io_context& IoPool::next() noexcept {
    return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
}

void IoPool::run() {
    for (auto& ctx : contexts_) {
        threads_.emplace_back([c = ctx.get()] {
            // A handler that throws is a bug; log it and keep the thread
            // serving its other connections rather than taking the server down.
            for (;;) {
                try {
                    c->run();
                    return;
                } catch (const std::exception& e) {
                    LOG_ERROR("unhandled exception in I/O thread: " << e.what());
                }
            }
        });
    }
}

void IoPool::release() {
    for (auto& g : guards_) g.reset();
}

void IoPool::stop() {
    release();
    for (auto& ctx : contexts_) ctx->stop();
}

void IoPool::join() {
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    threads_.clear();
}

}  // namespace mqgate::net
