#include "mqtt/net/raw_tcp_stream.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <stdexcept>
#include <utility>

namespace mqgate::net {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {
error_code last_error() { return {errno, boost::system::system_category()}; }

EpollSet* set_of(const asio::any_io_executor& executor) {
    const auto* io = executor.target<asio::io_context::executor_type>();
    if (!io) throw std::logic_error("RawTcpStream: the socket must run on an io_context executor");
    return &EpollSet::of(asio::query(*io, asio::execution::context));
}
}  // namespace

RawTcpStream::RawTcpStream(asio::ip::tcp::socket socket)
    : set_(set_of(socket.get_executor())) {
    if (!socket.is_open()) return;
    error_code ec;
    fd_ = socket.release(ec);
    if (ec) {
        fd_ = -1;
        return;
    }
    // Reads and writes are attempted when the set says so: never block.
    const int flags = ::fcntl(fd_, F_GETFL);
    if (flags >= 0) ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
}

RawTcpStream::RawTcpStream(RawTcpStream&& o) noexcept
    : set_(o.set_),
      handler_(std::exchange(o.handler_, nullptr)),
      fd_(std::exchange(o.fd_, -1)),
      interest_(std::exchange(o.interest_, 0)) {}

RawTcpStream::~RawTcpStream() {
    // Reached with the socket open only when the set let go without close()
    // (EpollSet::shutdown): closing also takes it out of the epoll set.
    if (fd_ >= 0) ::close(fd_);
}

void RawTcpStream::set_option(int level, int name, const void* data, std::size_t size, error_code& ec) {
    ec = ::setsockopt(fd_, level, name, data, static_cast<socklen_t>(size)) == 0 ? error_code{} : last_error();
}

asio::ip::tcp::endpoint RawTcpStream::remote_endpoint(error_code& ec) const { return endpoint(::getpeername, ec); }

asio::ip::tcp::endpoint RawTcpStream::local_endpoint(error_code& ec) const { return endpoint(::getsockname, ec); }

asio::ip::tcp::endpoint RawTcpStream::endpoint(int (*get)(int, sockaddr*, socklen_t*), error_code& ec) const {
    asio::ip::tcp::endpoint ep;
    socklen_t len = static_cast<socklen_t>(ep.capacity());
    if (get(fd_, ep.data(), &len) != 0) {
        ec = last_error();
        return {};
    }
    ep.resize(len);
    ec = {};
    return ep;
}

void RawTcpStream::shutdown(asio::socket_base::shutdown_type what, error_code& ec) {
    ec = ::shutdown(fd_, static_cast<int>(what)) == 0 ? error_code{} : last_error();
}

void RawTcpStream::close(error_code& ec) {
    ec = {};
    if (fd_ < 0) return;
    if (handler_) {
        set_->watch(fd_, *handler_, interest_, 0);
        set_->release(*std::exchange(handler_, nullptr));
        interest_ = 0;
    }
    if (::close(std::exchange(fd_, -1)) != 0) ec = last_error();
}

error_code RawTcpStream::watch(std::shared_ptr<EpollSet::Handler> handler) {
    if (fd_ < 0) return asio::error::bad_descriptor;
    handler_ = handler.get();
    set_->adopt(std::move(handler));
    return set_interest(true, false);
}

bool RawTcpStream::watching_read() const noexcept { return interest_ & EPOLLIN; }
bool RawTcpStream::watching_write() const noexcept { return interest_ & EPOLLOUT; }

error_code RawTcpStream::set_interest(bool read, bool write) {
    const std::uint32_t to = (read ? EPOLLIN : 0u) | (write ? EPOLLOUT : 0u);
    if (to == interest_) return {};
    if (!handler_) return asio::error::bad_descriptor;
    if (const auto e = set_->watch(fd_, *handler_, interest_, to)) return {e.value(), boost::system::system_category()};
    interest_ = to;
    return {};
}

std::size_t RawTcpStream::read_some(char* data, std::size_t size, error_code& ec) {
    for (;;) {
        const ssize_t n = ::recv(fd_, data, size, 0);
        if (n > 0) {
            ec = {};
            return static_cast<std::size_t>(n);
        }
        if (n == 0) {
            ec = asio::error::eof;
            return 0;
        }
        if (errno == EINTR) continue;
        ec = errno == EAGAIN || errno == EWOULDBLOCK ? error_code(asio::error::would_block) : last_error();
        return 0;
    }
}

std::size_t RawTcpStream::write_some(std::span<const asio::const_buffer> buffers, error_code& ec) {
    std::array<iovec, 256> iov;
    const std::size_t count = std::min(buffers.size(), iov.size());
    for (std::size_t i = 0; i < count; ++i) {
        iov[i].iov_base = const_cast<void*>(buffers[i].data());
        iov[i].iov_len = buffers[i].size();
    }
    msghdr msg{};
    msg.msg_iov = iov.data();
    msg.msg_iovlen = count;
    for (;;) {
        // MSG_NOSIGNAL: a peer gone away is an error here, not SIGPIPE.
        const ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
        if (n >= 0) {
            ec = {};
            return static_cast<std::size_t>(n);
        }
        if (errno == EINTR) continue;
        ec = errno == EAGAIN || errno == EWOULDBLOCK ? error_code(asio::error::would_block) : last_error();
        return 0;
    }
}

}  // namespace mqgate::net
