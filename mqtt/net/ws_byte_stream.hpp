// MQTT over WebSocket [MQTT-6.0.0]: a websocket::stream shaped like a byte
// stream, so StreamConnection (bounded queue, one write in flight, keepalive
// and connect timers) drives a WebSocket exactly as it drives TCP.
//
// Reads hand over the bytes of binary messages as they come, whatever the
// framing: packets may span frames and several may share one
// [MQTT-6.0.0-2]. Each gathered write is sent as one binary message.
#pragma once

#include <cstddef>
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/websocket/error.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "mqtt/net/transport.hpp"

namespace mqgate::net {

class WsByteStream {
public:
    using Ws = MqttWebSocket;
    using executor_type = Ws::executor_type;

    // `ws` has completed its handshake and is set to binary messages.
    explicit WsByteStream(Ws ws) : ws_(std::move(ws)) {}

    executor_type get_executor() { return ws_.get_executor(); }
    boost::asio::ip::tcp::socket& lowest_layer() { return boost::beast::get_lowest_layer(ws_).socket(); }

    template <class MutableBuffers, class Handler>
    void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
        ws_.async_read_some(buffers, [this, h = std::forward<Handler>(handler)](boost::system::error_code ec,
                                                                                std::size_t n) mutable {
            // A text message is not MQTT: close the connection [MQTT-6.0.0-1].
            if (!ec && ws_.got_text()) {
                ec = boost::beast::websocket::error::bad_data_frame;
                n = 0;
            }
            h(ec, n);
        });
    }

    template <class ConstBuffers, class Handler>
    void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
        ws_.async_write(buffers, std::forward<Handler>(handler));
    }

private:
    Ws ws_;
};

}  // namespace mqgate::net
