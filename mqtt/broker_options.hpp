// Everything the broker core is configured with. Plain data, filled by config/.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace mqgate::mqtt {

struct BrokerLimits {
    std::size_t max_packet_size = 1 << 20;           // bytes, whole packet
    // Bytes a peer may make the transport buffer before it has authenticated:
    // the first packet (the CONNECT) is refused on its header beyond this.
    // 64 KiB: real CONNECTs are a few hundred bytes; a will payload (at most
    // 65,535 by its length field) is the large part, and one close to that
    // needs the limit raised.
    std::size_t max_connect_size = 64 * 1024;
    std::size_t max_client_id_length = 256;          // bytes; longer -> CONNACK 0x02
    std::size_t max_topic_levels = 128;              // more -> protocol error (PUBLISH) / SUBACK 0x80
    std::size_t max_subscriptions_per_session = 1000;  // more -> SUBACK 0x80
    std::size_t max_inflight = 20;                   // outbound QoS 1/2 awaiting ack
    std::size_t max_queued_messages = 1000;          // per session, online or offline
    std::size_t max_queued_bytes = 1 << 20;          // payload bytes per session queue
    std::size_t max_awaiting_rel = 100;              // inbound QoS 2 awaiting PUBREL; more -> close
    std::chrono::seconds await_rel_timeout{300};     // inbound QoS 2 state expiry
    std::size_t max_outbound_buffer = 1 << 20;       // per connection; QoS 0 dropped above it
    std::chrono::seconds max_keepalive{0};           // 0 = off; else keepalive 0 or larger -> CONNACK 0x02 (Mosquitto)
    bool queue_qos0_offline = false;                 // Mosquitto's queue_qos0_messages
    std::size_t max_disconnected_records = 1000;     // status of departed clean-session clients kept for REST
};

struct BrokerOptions {
    std::string node_name = "mqgate";   // used in $SYS/brokers/<node>/...
    std::string version = "0.0.0";
    BrokerLimits limits;
    bool allow_anonymous = true;
};

}  // namespace mqgate::mqtt
