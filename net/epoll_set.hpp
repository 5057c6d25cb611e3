// EpollSet: plain TCP connections wait for readiness in one epoll set per
// io_context, and the context's own reactor watches that set as a single
// descriptor.
//
// Why: Asio keeps ~170 bytes of descriptor state per socket and allocates a
// ~160-byte operation for each pending wait, and an idle MQTT connection
// always has a read pending: ~330 bytes of what each idle connection costs
// (bench/: idle), more than half of Mosquitto's whole connection. Here a
// watched socket costs its registration in the kernel and a slot in owners_.
// Registrations are level-triggered, so an event that is not consumed at
// once (a paused read) is reported again, never lost.
//
// Threading: like DeadlineSweeper, everything runs on the context's one
// thread (IoPool runs each context on one thread).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <system_error>

#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

namespace mqgate::net {

class EpollSet final : public boost::asio::execution_context::service {
public:
    // What is told about readiness: EPOLLIN, EPOLLOUT, EPOLLHUP, EPOLLERR bits.
    class Handler {
    public:
        virtual void on_ready(std::uint32_t events) = 0;

    protected:
        ~Handler() = default;

    private:
        friend class EpollSet;
        std::uint32_t index_ = 0;  // position in owners_ while adopted
    };

    static boost::asio::execution_context::id id;
    explicit EpollSet(boost::asio::io_context& context);

    static EpollSet& of(boost::asio::io_context& context);
    boost::asio::io_context& context() const noexcept { return context_; }

    // Keeps `handler` alive until release(): a waiting connection is owned by
    // its wait, as it would be by a pending Asio operation.
    void adopt(std::shared_ptr<Handler> handler);
    // Drops the reference after the running handler returns, so a handler may
    // release itself.
    void release(Handler& handler);

    // Changes what `fd` is watched for, from `from` to `to` (0 = not in the
    // set: a socket that is not read must not keep reporting EPOLLHUP).
    std::error_code watch(int fd, Handler& handler, std::uint32_t from, std::uint32_t to) noexcept;

private:
    void shutdown() override;
    void arm();
    void dispatch();

    boost::asio::io_context& context_;
    boost::asio::posix::stream_descriptor epoll_;
    // A deque, not a vector: it grows and shrinks a block at a time, where a
    // vector's doubling leaves up to half its slots unused (memory per idle
    // connection), and it gives back blocks as connections leave.
    std::deque<std::shared_ptr<Handler>> owners_;
    bool armed_ = false;   // an async_wait on epoll_ is outstanding
    bool posted_ = false;  // a dispatch() is posted
};

}  // namespace mqgate::net
