#include "control/command.hpp"

#include <array>

#include <nlohmann/json.hpp>

#include "events/event_json.hpp"
#include "events/event_payload.hpp"

namespace mqgate::control {
namespace {

using nlohmann::json;

constexpr std::array status_names{"queued", "sent", "acked", "replied", "expired", "cancelled"};

void put_ms(json& object, const std::string& key, std::int64_t ms) {
    object[key] = events::rfc3339_utc(ms);
    object[key + "_ms"] = ms;
}

// Members a stored item must have, with the type each must be.
bool well_formed(const json& j) {
    for (const char* key : {"id", "clientid", "topic", "response_topic", "payload_key", "payload", "status"})
        if (!j.contains(key) || !j[key].is_string()) return false;
    for (const char* key : {"qos", "created_ms", "expires_ms"})
        if (!j.contains(key) || !j[key].is_number_integer()) return false;
    return j.contains("retain") && j["retain"].is_boolean() && j.contains("history") && j["history"].is_array();
}

}  // namespace

const char* to_string(CommandStatus status) noexcept { return status_names[static_cast<std::size_t>(status)]; }

std::optional<CommandStatus> parse_command_status(std::string_view text) noexcept {
    for (std::size_t i = 0; i < status_names.size(); ++i)
        if (text == status_names[i]) return static_cast<CommandStatus>(i);
    return std::nullopt;
}

bool is_done(const Command& c) noexcept {
    const bool awaits_reply = !c.exchange.response_topic.empty();
    switch (c.status) {
        case CommandStatus::queued: return false;
        case CommandStatus::sent: return !awaits_reply && c.exchange.qos == 0;
        case CommandStatus::acked: return !awaits_reply;
        case CommandStatus::replied:
        case CommandStatus::expired:
        case CommandStatus::cancelled: return true;
    }
    return true;
}

void set_status(Command& c, CommandStatus status, std::int64_t ts_ms) {
    c.status = status;
    c.history.push_back({status, ts_ms});
}

json command_json(const Command& c) {
    const auto& e = c.exchange;
    json j = {{"id", c.id()},
              {"clientid", e.client_id},
              {"topic", e.topic},
              {"qos", e.qos},
              {"retain", c.retain},
              {"response_topic", e.response_topic.empty() ? json(nullptr) : json(e.response_topic)},
              {"correlation", e.payload_key.empty() ? json(nullptr) : json("payload:" + e.payload_key)},
              {"status", to_string(c.status)}};
    payload::put(j, e.payload);
    put_ms(j, "created_at", c.created_ms);
    put_ms(j, "expires_at", c.expires_ms);
    json history = json::array();
    for (const auto& change : c.history)
        history.push_back({{"status", to_string(change.status)},
                           {"time", events::rfc3339_utc(change.ts_ms)},
                           {"ts", change.ts_ms}});
    j["history"] = std::move(history);
    if (c.reply) {
        json r = {{"topic", c.reply->topic}, {"qos", c.reply->qos}, {"ts", c.reply->ts_ms}};
        payload::put(r, c.reply->payload);
        j["reply"] = std::move(r);
    } else {
        j["reply"] = nullptr;
    }
    return j;
}

std::string encode_command(const Command& c) {
    const auto& e = c.exchange;
    json j = {{"id", c.id()},
              {"clientid", e.client_id},
              {"topic", e.topic},
              {"response_topic", e.response_topic},
              {"payload_key", e.payload_key},
              {"payload", payload::base64_encode(e.payload)},
              {"qos", e.qos},
              {"retain", c.retain},
              {"created_ms", c.created_ms},
              {"expires_ms", c.expires_ms},
              {"status", to_string(c.status)}};
    json history = json::array();
    for (const auto& change : c.history) history.push_back({to_string(change.status), change.ts_ms});
    j["history"] = std::move(history);
    if (c.reply)
        j["reply"] = {{"topic", c.reply->topic},
                      {"payload", payload::base64_encode(c.reply->payload)},
                      {"qos", c.reply->qos},
                      {"ts", c.reply->ts_ms}};
    return j.dump();
}

std::optional<Command> decode_command(std::string_view data, std::uint64_t seq) {
    const auto j = json::parse(data, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !well_formed(j)) return std::nullopt;
    const auto status = parse_command_status(j["status"].get<std::string>());
    auto bytes = payload::base64_decode(j["payload"].get<std::string>());
    const auto qos = j["qos"].get<std::int64_t>();
    if (!status || !bytes || qos < 0 || qos > 2) return std::nullopt;
    Command c;
    c.seq = seq;
    c.exchange.request_id = j["id"].get<std::string>();
    c.exchange.client_id = j["clientid"].get<std::string>();
    c.exchange.topic = j["topic"].get<std::string>();
    c.exchange.response_topic = j["response_topic"].get<std::string>();
    c.exchange.payload_key = j["payload_key"].get<std::string>();
    c.exchange.payload = std::move(*bytes);
    c.exchange.qos = static_cast<std::uint8_t>(qos);
    c.retain = j["retain"].get<bool>();
    c.created_ms = j["created_ms"].get<std::int64_t>();
    c.expires_ms = j["expires_ms"].get<std::int64_t>();
    c.status = *status;
    for (const auto& change : j["history"]) {
        if (!change.is_array() || change.size() != 2 || !change[0].is_string() || !change[1].is_number_integer())
            return std::nullopt;
        const auto s = parse_command_status(change[0].get<std::string>());
        if (!s) return std::nullopt;
        c.history.push_back({*s, change[1].get<std::int64_t>()});
    }
    if (const auto r = j.find("reply"); r != j.end()) {
        if (!r->is_object() || !r->contains("topic") || !(*r)["topic"].is_string() || !r->contains("payload") ||
            !(*r)["payload"].is_string() || !r->contains("qos") || !(*r)["qos"].is_number_integer() ||
            !r->contains("ts") || !(*r)["ts"].is_number_integer())
            return std::nullopt;
        auto reply_bytes = payload::base64_decode((*r)["payload"].get<std::string>());
        if (!reply_bytes) return std::nullopt;
        c.reply = CommandReply{(*r)["topic"].get<std::string>(), std::move(*reply_bytes),
                               static_cast<std::uint8_t>((*r)["qos"].get<std::int64_t>() & 3),
                               (*r)["ts"].get<std::int64_t>()};
    }
    return c;
}

}  // namespace mqgate::control
