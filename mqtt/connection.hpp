// The broker's only view of a network peer. A TCP socket, a TLS socket and a
// WebSocket all implement this, so the broker core never sees an I/O type.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "mqtt/message.hpp"

namespace mqgate::mqtt {

// Why a connection ended. Names are stable: they appear in events, REST,
// $SYS payloads and metrics.
enum class DisconnectReason : std::uint8_t {
    normal,             // client sent DISCONNECT: no will
    network_error,      // read/write failed or peer closed without DISCONNECT
    keepalive_timeout,  // nothing received for 1.5 x keepalive [MQTT-3.1.2-24]
    protocol_error,     // malformed packet or protocol violation [MQTT-4.8.0-1]
    takeover,           // another connection took the client id [MQTT-3.1.4-2]
    kicked,             // closed through the API
    connect_rejected,   // CONNACK with a non-zero code was sent [MQTT-3.2.2-5]
    connect_timeout,    // no CONNECT within the connect timeout
    slow_consumer,      // outbound buffer stalled past its limit
    server_shutdown,
    storage_error,      // what the client sent could not be stored (disk full): not acknowledged
};

const char* to_string(DisconnectReason r) noexcept;

struct PeerInfo {
    std::string address;       // remote IP, textual
    std::uint16_t port = 0;    // remote port
    std::uint16_t local_port = 0;
    // A string literal, not a std::string: every connection holds one (memory
    // per idle connection) and there are four: "mqtt", "mqtts", "mqtt-ws", "mqtt-wss".
    const char* protocol = "mqtt";
    std::string tls_common_name;    // client certificate CN when mutual TLS is on
};

// One unit of output: an encoded head, optionally followed by the payload of
// a shared message (PUBLISH), so the payload is never copied per subscriber.
struct Frame {
    std::string head;
    MessagePtr payload_of;  // when set, payload_of->payload follows head on the wire
    std::size_t size() const noexcept { return head.size() + (payload_of ? payload_of->payload.size() : 0); }
};

class Connection {
public:
    virtual ~Connection() = default;

    // Queue a frame for writing. Thread-safe and non-blocking: the broker
    // calls it while holding its lock.
    virtual void send(Frame frame) = 0;

    // Flush what is queued, then close. Thread-safe, asynchronous; the
    // transport reports the end through ClientLink::closed() exactly once.
    virtual void close(DisconnectReason why) = 0;

    // Keepalive granted by CONNECT (0 = none). The transport closes the
    // connection when nothing arrives for 1.5 x this long and reports
    // DisconnectReason::keepalive_timeout.
    virtual void set_keepalive(std::chrono::seconds keepalive) = 0;

    // Bytes queued but not yet written; the broker drops QoS 0 traffic to a
    // connection whose buffer is over its limit.
    virtual std::size_t buffered_bytes() const noexcept = 0;

    // Built on each call (REST, events, authentication; never per message): a
    // transport keeps its peer compactly rather than as strings (memory per
    // idle connection).
    virtual PeerInfo peer() const = 0;
};

}  // namespace mqgate::mqtt
