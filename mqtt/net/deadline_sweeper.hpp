// DeadlineSweeper: one timer per io_context checks the deadlines (connect
// timeout, keepalive, stalled write, close flush) of every connection on it.
//
// Why not a timer per connection: an armed steady_timer costs the timer and
// its pending wait operation, ~400 bytes per idle connection, and idle
// connections are where memory per connection counts (bench/: idle). A sweep
// every quarter second is as precise as these deadlines need (the spec's
// keepalive is 1.5 x in whole seconds; Mosquitto also checks periodically).
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace mqgate::net {

class DeadlineSweeper final : public boost::asio::execution_context::service {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr std::chrono::milliseconds period{250};

    // What the sweeper watches; check() runs on the context's thread.
    class Watched {
    public:
        virtual void check(Clock::time_point now) = 0;

    protected:
        ~Watched() = default;
    };

    static boost::asio::execution_context::id id;
    explicit DeadlineSweeper(boost::asio::io_context& context);

    // The sweeper of the context `executor` runs on.
    static DeadlineSweeper& of(const boost::asio::any_io_executor& executor);

    // Watches `watched` until it is destroyed.
    void add(std::weak_ptr<Watched> watched);

private:
    void shutdown() override;
    void arm();
    void sweep();

    std::mutex mutex_;
    // A deque for the reason EpollSet::owners_ is one.
    std::deque<std::weak_ptr<Watched>> watched_;
    // Made in the constructor, so the timer service is registered before this
    // one and outlives it (services are destroyed newest first).
    boost::asio::steady_timer timer_;
    bool armed_ = false;
    bool shut_down_ = false;
};

}  // namespace mqgate::net
