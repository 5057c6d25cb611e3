// MQTT over TLS: an established (handshaken) TLS stream in the shape
// StreamConnection drives. beast::ssl_stream rather than asio's own, because
// it coalesces a gathered write (a PUBLISH head and its payload, or a batch
// of small packets) into one TLS record instead of one record per buffer.
#pragma once

#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace mqgate::net {

class TlsByteStream {
public:
    using Ssl = boost::beast::ssl_stream<boost::asio::ip::tcp::socket>;
    using executor_type = Ssl::executor_type;

    explicit TlsByteStream(Ssl ssl) : ssl_(std::move(ssl)) {}

    executor_type get_executor() { return ssl_.get_executor(); }
    boost::asio::ip::tcp::socket& lowest_layer() { return ssl_.next_layer(); }

    template <class MutableBuffers, class Handler>
    void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
        ssl_.async_read_some(buffers, std::forward<Handler>(handler));
    }

    template <class ConstBuffers, class Handler>
    void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
        ssl_.async_write_some(buffers, std::forward<Handler>(handler));
    }

private:
    Ssl ssl_;
};

}  // namespace mqgate::net
