// What one MQTT connection is started with, whatever carries it (TCP, TLS,
// WebSocket). Plain data: the gateway fills it from the mqtt section of the
// configuration, /mqtt from the HTTP server's StreamOptions.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace mqgate::net {

struct ConnectionOptions {
    std::chrono::seconds connect_timeout{10};  // no CONNECT by then -> connect_timeout
    // When the peer's TCP connection was accepted, if earlier than the start
    // of this connection (TLS: before its handshake): the connect timeout
    // counts from it. Unset: from the start.
    std::chrono::steady_clock::time_point accepted_at{};
    std::chrono::seconds write_timeout{30};    // one write stalled this long -> slow_consumer
    std::chrono::seconds close_flush_timeout{5};  // close() gives queued frames this long
    const char* protocol = "mqtt";  // PeerInfo::protocol: a string literal
    std::string tls_common_name;  // PeerInfo::tls_common_name (TLS transports fill it per connection)
    std::uint32_t max_publish_rate = 0;  // PUBLISH/s before reading pauses (publish_rate.hpp); 0 = off
};

}  // namespace mqgate::net
