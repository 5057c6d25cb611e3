#include "net/epoll_set.hpp"

#include <sys/epoll.h>

#include <array>
#include <cerrno>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/system/system_error.hpp>

namespace mqgate::net {

namespace asio = boost::asio;

namespace {
int make_epoll() {
    const int fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) throw boost::system::system_error(errno, boost::system::system_category(), "epoll_create1");
    return fd;
}
}  // namespace

asio::execution_context::id EpollSet::id;

EpollSet::EpollSet(asio::io_context& context)
    : asio::execution_context::service(context), context_(context), epoll_(context, make_epoll()) {}

EpollSet& EpollSet::of(asio::io_context& context) { return asio::use_service<EpollSet>(context); }

void EpollSet::adopt(std::shared_ptr<Handler> handler) {
    handler->index_ = static_cast<std::uint32_t>(owners_.size());
    owners_.push_back(std::move(handler));
    if (!armed_ && !posted_) arm();
}

void EpollSet::release(Handler& handler) {
    const std::uint32_t i = handler.index_;
    auto owner = std::move(owners_[i]);
    if (i + 1 != owners_.size()) {
        owners_[i] = std::move(owners_.back());
        owners_[i]->index_ = i;
    }
    owners_.pop_back();
    // Events for it may still wait in the batch being dispatched: it must
    // outlive the batch (its on_ready() then sees it is finished).
    asio::post(context_, [owner = std::move(owner)] {});
    // Nothing left to watch: the context may run out of work (IoPool::release).
    if (owners_.empty() && armed_) {
        boost::system::error_code ignored;
        epoll_.cancel(ignored);
    }
}

std::error_code EpollSet::watch(int fd, Handler& handler, std::uint32_t from, std::uint32_t to) noexcept {
    if (from == to) return {};
    epoll_event ev{};
    ev.events = to;
    ev.data.ptr = &handler;
    const int op = from == 0 ? EPOLL_CTL_ADD : to == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
    if (::epoll_ctl(epoll_.native_handle(), op, fd, &ev) != 0) return {errno, std::system_category()};
    return {};
}

void EpollSet::arm() {
    armed_ = true;
    epoll_.async_wait(asio::posix::descriptor_base::wait_read, [this](const boost::system::error_code& ec) {
        armed_ = false;
        if (!ec) return dispatch();
        // Cancelled when the set emptied; a socket may have been adopted since.
        if (ec == asio::error::operation_aborted && !owners_.empty() && !posted_) arm();
    });
}

void EpollSet::dispatch() {
    std::array<epoll_event, 128> events;
    // The reactor watches this set edge-triggered: wait again only once the
    // set reported nothing, or a ready socket would never be seen again.
    for (int round = 0; round < 8; ++round) {
        const int n = ::epoll_wait(epoll_.native_handle(), events.data(), static_cast<int>(events.size()), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (!owners_.empty() && !armed_) arm();
            return;
        }
        for (int i = 0; i < n; ++i) static_cast<Handler*>(events[i].data.ptr)->on_ready(events[i].events);
    }
    // Still busy: let the context's other work run, then go on.
    posted_ = true;
    asio::post(context_, [this] {
        posted_ = false;
        dispatch();
    });
}

void EpollSet::shutdown() {
    // Breaks the ownership of connections still open when the context goes.
    // Moved out first, so the set is already empty while they are destroyed.
    std::deque<std::shared_ptr<Handler>> owners;
    owners.swap(owners_);
    owners.clear();
}

}  // namespace mqgate::net
