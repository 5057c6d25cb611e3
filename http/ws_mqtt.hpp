// MQTT over WebSocket on /mqtt [MQTT-6.0.0]: the upgrade, then the same
// StreamConnection as TCP (protocol "mqtt-ws") attached to the same broker.
#pragma once

#include <memory>

#include "http/stream_transport.hpp"
#include "http/streams.hpp"

namespace mqgate::mqtt {
class Broker;
}
namespace mqgate::net {
class ConnectionCounter;
}

namespace mqgate::http {

// Refuses (400) an upgrade that offers neither subprotocol "mqtt" nor
// "mqttv3.1", 426 a request that is no upgrade, 503 past the connection
// maximum.
void accept_mqtt_ws(net::FlexStream stream, StreamRequest request, mqtt::Broker& broker,
                    const StreamOptions& options, const std::shared_ptr<net::ConnectionCounter>& counter);

}  // namespace mqgate::http
