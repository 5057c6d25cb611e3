#include "mqtt/net/transport.hpp"

#include <utility>

#include "mqtt/net/tcp_connection.hpp"
#include "mqtt/net/ws_byte_stream.hpp"

namespace mqgate::net {

void start_ws_connection(MqttWebSocket ws, mqtt::Broker& broker, const ConnectionOptions& options,
                         ConnectionSlot slot) {
    StreamConnection<WsByteStream>::start(WsByteStream(std::move(ws)), broker, options, std::move(slot));
}

std::atomic<std::uint64_t>& publish_throttled_total() noexcept {
    static std::atomic<std::uint64_t> count{0};
    return count;
}

}  // namespace mqgate::net
