// The MQTT transport as http/ reaches it, and the one header of mqtt/net/
// that http/ includes (scripts/check-layers): /mqtt hands over a WebSocket it
// has upgraded, /metrics reads the transport's counter. StreamConnection and
// the byte-stream adapters stay inside mqtt/net/.
#pragma once

#include <atomic>
#include <cstdint>

#include <boost/beast/websocket/stream.hpp>

#include "mqtt/net/connection_options.hpp"
#include "net/connection_counter.hpp"
#include "net/flex_stream.hpp"

namespace mqgate::mqtt {
class Broker;
}

namespace mqgate::net {

// MQTT over WebSocket [MQTT-6.0.0], over TCP (ws) or TLS (wss).
using MqttWebSocket = boost::beast::websocket::stream<FlexStream>;

// `ws` has completed its handshake and is set to binary messages: attaches a
// connection to `broker`, like one over TCP, and starts reading on the
// WebSocket's own thread. `slot` is held for the life of the connection.
void start_ws_connection(MqttWebSocket ws, mqtt::Broker& broker, const ConnectionOptions& options,
                         ConnectionSlot slot);

// Times a connection was paused for its publish rate (publish_rate.hpp), over
// all connections (/metrics: mqgate_publish_throttled_total).
std::atomic<std::uint64_t>& publish_throttled_total() noexcept;

}  // namespace mqgate::net
