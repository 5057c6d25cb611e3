#include "events/event_sys.hpp"

#include <nlohmann/json.hpp>

#include "mqtt/broker.hpp"

namespace mqgate::events {

std::optional<SysMessage> sys_event_message(const std::string& node, const mqtt::Event& e) {
    const bool connected = e.type == mqtt::EventType::client_connected;
    if (!connected && e.type != mqtt::EventType::client_disconnected) return std::nullopt;
    // A client id with '/' would add levels, and wildcards make no topic name.
    if (e.client_id.empty() || e.client_id.find_first_of("/+#") != std::string::npos) return std::nullopt;
    nlohmann::json j = {
        {"clientid", e.client_id},
        {"username", e.username},
        {"ipaddress", e.address},
        {"sockport", e.local_port},
        {"proto_name", "MQTT"},
        {"proto_ver", 4},
        {"ts", e.timestamp_ms},
    };
    if (connected) {
        j["keepalive"] = e.keepalive;
        j["clean_session"] = e.clean_session;
        j["connected_at"] = e.timestamp_ms;
    } else {
        j["reason"] = e.reason;
        j["disconnected_at"] = e.timestamp_ms;
    }
    return SysMessage{"$SYS/brokers/" + node + "/clients/" + e.client_id + (connected ? "/connected" : "/disconnected"),
                      j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

std::uint64_t publish_sys_events(mqtt::Broker& broker, std::string node) {
    // Observers run outside the broker's lock, so publishing from one is safe.
    return broker.observe([&broker, node = std::move(node)](const mqtt::Event& e) {
        if (auto m = sys_event_message(node, e))
            broker.publish_as_broker(std::move(m->topic), std::move(m->payload), 0, false);
    });
}

}  // namespace mqgate::events
