// Connection status on MQTT topics, as EMQX publishes it:
// $SYS/brokers/<node>/clients/<clientid>/connected and .../disconnected,
// QoS 0, not retained, with a JSON payload in EMQX's field names. The '$'
// rule [MQTT-4.7.2-1] keeps them from '#' and '+/...' subscribers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "mqtt/events.hpp"

namespace mqgate::mqtt {
class Broker;
}

namespace mqgate::events {

struct SysMessage {
    std::string topic;
    std::string payload;
};

// The message for a client.connected or client.disconnected event; nullopt
// for other events and for client ids that cannot be a topic level ('+',
// '#' or '/').
std::optional<SysMessage> sys_event_message(const std::string& node, const mqtt::Event& event);

// Publishes those messages for every event from now on; returns the
// observer id (Broker::unobserve).
std::uint64_t publish_sys_events(mqtt::Broker& broker, std::string node);

}  // namespace mqgate::events
