// A TCP socket taken out of Asio's reactor and watched by its context's
// EpollSet instead (why: epoll_set.hpp). StreamConnection drives it with
// non-blocking reads and writes when the set reports readiness; it offers the
// few socket calls StreamConnection makes through lowest_layer().
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <span>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include "net/epoll_set.hpp"

namespace mqgate::net {

class RawTcpStream {
public:
    using executor_type = boost::asio::io_context::executor_type;

    // `socket` must run on an io_context (IoPool's); it is left closed.
    explicit RawTcpStream(boost::asio::ip::tcp::socket socket);
    RawTcpStream(RawTcpStream&& o) noexcept;
    RawTcpStream& operator=(RawTcpStream&&) = delete;
    ~RawTcpStream();

    executor_type get_executor() const noexcept { return set_->context().get_executor(); }
    RawTcpStream& lowest_layer() noexcept { return *this; }

    template <class Option>
    void set_option(const Option& option, boost::system::error_code& ec) {
        const auto p = boost::asio::ip::tcp::v4();
        set_option(option.level(p), option.name(p), option.data(p), option.size(p), ec);
    }
    boost::asio::ip::tcp::endpoint remote_endpoint(boost::system::error_code& ec) const;
    boost::asio::ip::tcp::endpoint local_endpoint(boost::system::error_code& ec) const;
    void shutdown(boost::asio::socket_base::shutdown_type what, boost::system::error_code& ec);
    // Leaves the EpollSet (releasing the handler) and closes the socket.
    void close(boost::system::error_code& ec);

    // Starts watching for readability; the set holds `handler` until close().
    boost::system::error_code watch(std::shared_ptr<EpollSet::Handler> handler);
    bool watching_read() const noexcept;
    bool watching_write() const noexcept;
    boost::system::error_code watch_read(bool on) { return set_interest(on, watching_write()); }
    boost::system::error_code watch_write(bool on) { return set_interest(watching_read(), on); }

    // Non-blocking; would_block when nothing can be done now, eof at the end.
    std::size_t read_some(char* data, std::size_t size, boost::system::error_code& ec);
    std::size_t write_some(std::span<const boost::asio::const_buffer> buffers, boost::system::error_code& ec);

private:
    void set_option(int level, int name, const void* data, std::size_t size, boost::system::error_code& ec);
    boost::asio::ip::tcp::endpoint endpoint(int (*get)(int, sockaddr*, socklen_t*),
                                            boost::system::error_code& ec) const;
    boost::system::error_code set_interest(bool read, bool write);

    EpollSet* set_;  // of the socket's context
    EpollSet::Handler* handler_ = nullptr;  // set while adopted by the set
    int fd_ = -1;
    std::uint32_t interest_ = 0;  // EPOLLIN/EPOLLOUT bits registered now
};

// The same socket carrying MQTT over WebSocket once Beast has done the
// handshake: StreamConnection<RawWsStream> reads and writes it as plain TCP
// and passes the bytes through ws_framing.hpp on the way.
class RawWsStream : public RawTcpStream {
public:
    using RawTcpStream::RawTcpStream;
};

}  // namespace mqgate::net
