#include "mqtt/net/transport.hpp"

#include <utility>

#include "mqtt/net/raw_tcp_stream.hpp"
#include "mqtt/net/tcp_connection.hpp"
#include "mqtt/net/ws_byte_stream.hpp"

namespace mqgate::net {

void start_ws_connection(MqttWebSocket ws, mqtt::Broker& broker, const ConnectionOptions& options,
                         ConnectionSlot slot) {
    if (!ws.next_layer().is_tls()) {
        // Plain ws://: past the handshake Beast has nothing left to do. The
        // socket goes to the TCP path (epoll readiness, no buffer while idle)
        // and ws_framing.hpp takes the frames off and puts them on.
        RawWsStream raw(boost::beast::get_lowest_layer(ws).release_socket());
        StreamConnection<RawWsStream>::start(std::move(raw), broker, options, std::move(slot));
        return;
    }
    StreamConnection<WsByteStream>::start(WsByteStream(std::move(ws)), broker, options, std::move(slot));
}

std::atomic<std::uint64_t>& publish_throttled_total() noexcept {
    static std::atomic<std::uint64_t> count{0};
    return count;
}

}  // namespace mqgate::net
