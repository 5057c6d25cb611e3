#include "http/message_json.hpp"

#include <algorithm>
#include <array>

#include <nlohmann/json.hpp>

#include "events/event_json.hpp"
#include "events/event_payload.hpp"

namespace mqgate::http {
namespace {

struct Cached {
    // The message's owner, not the message: a weak_ptr keeps its control
    // block, so an equal owner is the same message even if it is gone since.
    std::weak_ptr<const mqtt::Message> owner;
    std::shared_ptr<const std::string> text;
};

bool same_owner(const std::weak_ptr<const mqtt::Message>& a, const mqtt::MessagePtr& b) {
    return !a.owner_before(b) && !b.owner_before(a);
}

std::string encode(const mqtt::Message& msg, std::uint8_t qos, bool retained) {
    nlohmann::json j{{"type", "message"}, {"topic", msg.topic}};
    payload::put(j, msg.payload);
    j["qos"] = qos;
    // Like MQTT: the flag is set only on messages sent because of the subscribe.
    j["retain"] = retained;
    j["ts"] = msg.timestamp_ms;
    j["time"] = events::rfc3339_utc(msg.timestamp_ms);
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::shared_ptr<const std::string> message_json(const mqtt::MessagePtr& msg, std::uint8_t qos, bool retained) {
    thread_local std::array<Cached, 6> cache;  // [retained][qos]
    Cached& slot = cache[(retained ? 3 : 0) + std::min<std::uint8_t>(qos, 2)];
    if (!slot.text || !same_owner(slot.owner, msg)) {
        slot.owner = msg;
        slot.text = std::make_shared<const std::string>(encode(*msg, qos, retained));
    }
    return slot.text;
}

}  // namespace mqgate::http
