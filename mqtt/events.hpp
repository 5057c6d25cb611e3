// Broker events: what the gateway's event bus fans out to REST, streams,
// $SYS/brokers/<node>/... topics and metrics. Names follow EMQX.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mqgate::mqtt {

enum class EventType {
    client_connected,      // "client.connected"
    client_disconnected,   // "client.disconnected" (reason set)
    will_published,        // "will.published" (topic/payload/qos/retain set)
    session_subscribed,    // "session.subscribed" (topic = filter, qos = granted)
    session_unsubscribed,  // "session.unsubscribed" (topic = filter)
    client_kicked,         // "client.kicked"
    client_auth_failed,    // "client.auth_failed": CONNECT refused by the authorizer (reason: the CONNACK code's name)
    // Device commands (control/CommandService, not the broker): client_id is
    // the device, command_id the command, topic/qos what it was sent as.
    command_sent,          // "command.sent"
    command_acked,         // "command.acked"
    command_replied,       // "command.replied"
    command_expired,       // "command.expired"
};

const char* to_string(EventType t) noexcept;

struct Event {
    EventType type{};
    std::int64_t timestamp_ms = 0;
    std::string client_id;
    std::string username;
    std::string address;            // peer IP
    std::uint16_t port = 0;         // peer port
    std::uint16_t local_port = 0;   // listener port ("sockport")
    std::string protocol;           // mqtt, mqtts, mqtt-ws, mqtt-wss
    std::uint16_t keepalive = 0;
    bool clean_session = true;
    std::string reason;             // client.disconnected: to_string(DisconnectReason); client.auth_failed
    std::string topic;              // will topic, or the filter for (un)subscribe
    std::string payload;            // will payload (binary)
    std::uint8_t qos = 0;
    bool retain = false;
    std::string command_id;         // command.*
};

}  // namespace mqgate::mqtt
