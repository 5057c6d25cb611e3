#include "net/tcp_listener.hpp"

#include <chrono>
#include <utility>

#include <boost/asio/post.hpp>

#include "support/log.hpp"

namespace mqgate::net {

namespace asio = boost::asio;
using asio::ip::tcp;

TcpListener::TcpListener(asio::io_context& accept_context, IoPool& pool, const std::string& address,
                         std::uint16_t port, std::shared_ptr<ConnectionCounter> counter, OnAccept on_accept)
    : acceptor_(accept_context),
      pool_(pool),
      counter_(counter ? std::move(counter) : std::make_shared<ConnectionCounter>()),
      on_accept_(std::move(on_accept)),
      backoff_(accept_context) {
    const tcp::endpoint endpoint(asio::ip::make_address(address), port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    endpoint_ = acceptor_.local_endpoint();
}

void TcpListener::start() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] { self->accept(); });
}

void TcpListener::stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
        self->stopped_ = true;
        boost::system::error_code ignored;
        self->acceptor_.close(ignored);
        self->backoff_.cancel();
    });
}

void TcpListener::accept() {
    if (stopped_) return;
    // Accept straight onto the next context: the connection lives there.
    acceptor_.async_accept(pool_.next(), [self = shared_from_this()](const boost::system::error_code& ec,
                                                                      tcp::socket socket) {
        self->on_accept(ec, std::move(socket));
    });
}

bool TcpListener::Episode::begin() {
    if (count_++ != 0) return false;
    started_ = std::chrono::steady_clock::now();
    return true;
}

std::uint64_t TcpListener::Episode::end(double& seconds) {
    if (count_ == 0) return 0;
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    return std::exchange(count_, 0);
}

void TcpListener::on_accept(const boost::system::error_code& ec, tcp::socket socket) {
    if (stopped_ || ec == asio::error::operation_aborted) return;
    if (ec) {
        // Out of descriptors: accepting again at once would fail at once and
        // spin; wait for connections to go away.
        if (ec == asio::error::no_descriptors || ec.value() == ENFILE) {
            if (out_of_descriptors_.begin())
                LOG_WARN("accept on " << endpoint_ << ": " << ec.message()
                                      << "; retrying every 100 ms (logged again when accepting works)");
            backoff_.expires_after(std::chrono::milliseconds(100));
            backoff_.async_wait([self = shared_from_this()](const boost::system::error_code& wait_ec) {
                if (!wait_ec) self->accept();
            });
            return;
        }
        LOG_WARN("accept on " << endpoint_ << ": " << ec.message());
        accept();
        return;
    }
    double seconds = 0;
    if (const auto failed = out_of_descriptors_.end(seconds))
        LOG_WARN("accepting on " << endpoint_ << " again after " << failed << " failed accepts in " << seconds
                                 << " s (out of descriptors)");
    auto slot = counter_->try_acquire();
    if (slot) {
        if (const auto refused = over_limit_.end(seconds))
            LOG_WARN("connection limit on " << endpoint_ << ": " << refused << " connections refused in " << seconds
                                            << " s");
    } else {
        if (over_limit_.begin())
            LOG_WARN("refusing connections on " << endpoint_ << ": mqtt.max_connections reached"
                                                << " (logged again with a count when one is accepted)");
        // Told why (CONNACK 0x03 after its CONNECT), while only a few are.
        slot = counter_->try_acquire_refusing();
    }
    if (slot) {
        on_accept_(std::move(socket), std::move(slot));
    } else {
        boost::system::error_code ignored;
        socket.close(ignored);
    }
    accept();
}

}  // namespace mqgate::net
