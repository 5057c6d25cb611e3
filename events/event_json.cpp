#include "events/event_json.hpp"

#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "events/event_payload.hpp"

namespace mqgate::events {

std::string rfc3339_utc(std::int64_t epoch_ms) {
    // Floor division so times before 1970 keep a non-negative millisecond part.
    std::int64_t secs = epoch_ms / 1000;
    std::int64_t millis = epoch_ms % 1000;
    if (millis < 0) {
        millis += 1000;
        --secs;
    }
    const std::time_t t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[80];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(millis));
    return buf;
}

namespace {

bool is_command_event(mqtt::EventType type) noexcept {
    return type == mqtt::EventType::command_sent || type == mqtt::EventType::command_acked ||
           type == mqtt::EventType::command_replied || type == mqtt::EventType::command_expired;
}

}  // namespace

nlohmann::json event_to_json(std::uint64_t seq, const mqtt::Event& e) {
    // A command's events are about the command, not a connection: no peer fields.
    if (is_command_event(e.type))
        return {{"seq", seq},         {"event", mqtt::to_string(e.type)}, {"id", e.command_id},
                {"clientid", e.client_id}, {"topic", e.topic},             {"qos", e.qos},
                {"ts", e.timestamp_ms},    {"time", rfc3339_utc(e.timestamp_ms)}};
    nlohmann::json j = {
        {"seq", seq},
        {"event", mqtt::to_string(e.type)},
        {"clientid", e.client_id},
        {"username", e.username},
        {"ipaddress", e.address},
        {"peerport", e.port},
        {"sockport", e.local_port},
        {"proto_name", "MQTT"},
        {"proto_ver", 4},
        {"protocol", e.protocol},
        {"keepalive", e.keepalive},
        {"clean_session", e.clean_session},
        {"ts", e.timestamp_ms},
        {"time", rfc3339_utc(e.timestamp_ms)},
    };
    switch (e.type) {
    case mqtt::EventType::client_disconnected:
    case mqtt::EventType::client_auth_failed:
        j["reason"] = e.reason;
        break;
    case mqtt::EventType::will_published:
        j["topic"] = e.topic;
        payload::put(j, e.payload);
        j["qos"] = e.qos;
        j["retain"] = e.retain;
        break;
    case mqtt::EventType::session_subscribed:
    case mqtt::EventType::session_unsubscribed:
        j["topic"] = e.topic;
        j["qos"] = e.qos;
        break;
    case mqtt::EventType::client_connected:
    case mqtt::EventType::client_kicked:
    case mqtt::EventType::command_sent:
    case mqtt::EventType::command_acked:
    case mqtt::EventType::command_replied:
    case mqtt::EventType::command_expired:
        break;
    }
    return j;
}

}  // namespace mqgate::events
