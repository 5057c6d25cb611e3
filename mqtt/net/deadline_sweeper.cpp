#include "mqtt/net/deadline_sweeper.hpp"

#include <stdexcept>

#include <boost/asio/io_context.hpp>

namespace mqgate::net {

namespace asio = boost::asio;

asio::execution_context::id DeadlineSweeper::id;

DeadlineSweeper::DeadlineSweeper(asio::io_context& context) : asio::execution_context::service(context), timer_(context) {}

DeadlineSweeper& DeadlineSweeper::of(const asio::any_io_executor& executor) {
    // Every connection runs on one of IoPool's io_contexts (never a strand):
    // one thread per context is what makes check() safe without locks.
    const auto* io = executor.target<asio::io_context::executor_type>();
    if (!io) throw std::logic_error("DeadlineSweeper: connections must run on an io_context executor");
    return asio::use_service<DeadlineSweeper>(io->context());
}

void DeadlineSweeper::add(std::weak_ptr<Watched> watched) {
    std::lock_guard lock(mutex_);
    if (shut_down_) return;
    watched_.push_back(std::move(watched));
    if (!armed_) arm();
}

void DeadlineSweeper::arm() {
    armed_ = true;
    timer_.expires_after(period);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) sweep();
    });
}

void DeadlineSweeper::sweep() {
    std::lock_guard lock(mutex_);
    armed_ = false;
    if (shut_down_) return;
    const auto now = Clock::now();
    // Destroyed connections are dropped here; the order does not matter.
    for (std::size_t i = 0; i < watched_.size();) {
        if (auto w = watched_[i].lock()) {
            w->check(now);
            ++i;
        } else {
            watched_[i] = std::move(watched_.back());
            watched_.pop_back();
        }
    }
    // Nothing left to watch: no wake-ups until the next add().
    if (!watched_.empty()) arm();
}

void DeadlineSweeper::shutdown() {
    std::lock_guard lock(mutex_);
    shut_down_ = true;
    watched_.clear();
    timer_.cancel();
}

}  // namespace mqgate::net
