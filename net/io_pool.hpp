// One io_context per thread. A connection is placed on one context for its
// whole life, so its handlers run on one thread and need no strand.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace mqgate::net {

class IoPool {
public:
    // threads == 0: one per hardware thread.
    explicit IoPool(std::size_t threads);
    ~IoPool();
    IoPool(const IoPool&) = delete;
    IoPool& operator=(const IoPool&) = delete;

    std::size_t size() const noexcept { return contexts_.size(); }
    boost::asio::io_context& at(std::size_t i) noexcept { return *contexts_[i]; }
    // Round-robin over the contexts; thread-safe.
    boost::asio::io_context& next() noexcept;

    // Starts one thread per context. The contexts keep running without work
    // until release() or stop().
    void run();
    // Lets each context return once its outstanding work is done.
    void release();
    // Abandons outstanding work.
    void stop();
    void join();
    // After stop() and join(): runs the handlers still queued (completions that came after stop()), on the
    // calling thread. The owner calls it while what those handlers touch is still alive.
    void drain();

private:
    using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
    std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
    std::vector<Guard> guards_;
    std::vector<std::thread> threads_;
    std::atomic<std::size_t> next_{0};
};

}  // namespace mqgate::net
