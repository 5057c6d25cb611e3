#include "control/command_plan.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "control/correlation.hpp"
#include "events/event_payload.hpp"
#include "support/unique_id.hpp"

namespace mqgate::control {
namespace {

using nlohmann::json;

PlannedCommand refuse(std::string code, std::string message) {
    PlannedCommand p;
    p.refusal = Refusal{400, std::move(code), std::move(message)};
    return p;
}

PlannedCommand refused(Refusal refusal) {
    PlannedCommand p;
    p.refusal = std::move(refusal);
    return p;
}

const std::string* string_member(const json& body, const char* key) {
    const auto it = body.find(key);
    return it != body.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

}  // namespace

PlannedCommand plan_command(const json& body, const CommandLimits& limits, std::int64_t now_ms) {
    if (!body.is_object()) return refuse("invalid_request", "the body must be a JSON object");
    const auto* client_id = string_member(body, "clientid");
    if (!client_id || client_id->empty() || client_id->find_first_of("/+#") != std::string::npos)
        return refuse("invalid_clientid", "'clientid' is required: a non-empty client id without '/', '+' or '#'");
    const auto* topic = string_member(body, "topic");
    if (!topic) return refuse("invalid_topic", "'topic' is required and must be a string");
    const auto* response_topic = string_member(body, "response_topic");
    if (body.contains("response_topic") && (!response_topic || response_topic->empty()))
        return refuse("invalid_response_topic", "'response_topic' must be a non-empty string");

    PlannedCommand planned;
    Command& c = planned.command;
    Exchange& e = c.exchange;
    if (auto bad = read_qos(body, e.qos)) return refused(std::move(*bad));
    if (auto bad = read_correlation(body, e.payload_key)) return refused(std::move(*bad));
    if (!e.payload_key.empty() && !response_topic)
        return refuse("invalid_correlation", "'correlation' needs a 'response_topic'");
    if (const auto r = body.find("retain"); r != body.end()) {
        if (!r->is_boolean()) return refuse("invalid_retain", "'retain' must be true or false");
        c.retain = r->get<bool>();
    }
    std::int64_t ttl_s = std::min(default_ttl_s, limits.max_ttl_s);
    if (const auto t = body.find("ttl_s"); t != body.end()) {
        if (!t->is_number_integer() || t->get<std::int64_t>() < 1 || t->get<std::int64_t>() > limits.max_ttl_s)
            return refuse("invalid_ttl_s", "'ttl_s' must be an integer from 1 to " + std::to_string(limits.max_ttl_s) +
                                               " (commands.max_ttl_s)");
        ttl_s = t->get<std::int64_t>();
    }
    auto payload = payload::read(body);
    if (payload.error) return refuse(payload.error->code, payload.error->message);

    e.request_id = next_unique_id();
    e.client_id = *client_id;
    e.topic = substitute(*topic, e.request_id, e.client_id);
    if (response_topic) e.response_topic = substitute(*response_topic, e.request_id, e.client_id);
    if (auto bad = check_exchange_topics(e)) return refused(std::move(*bad));
    if (auto bad = correlate_payload(e, payload.bytes)) return refused(std::move(*bad));
    c.created_ms = now_ms;
    c.expires_ms = now_ms + ttl_s * 1000;
    set_status(c, CommandStatus::queued, now_ms);
    return planned;
}

}  // namespace mqgate::control
