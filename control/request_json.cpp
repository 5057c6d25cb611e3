#include "control/request_json.hpp"

#include <set>

#include "control/correlation.hpp"
#include "events/event_payload.hpp"
#include "mqtt/topic.hpp"
#include "support/unique_id.hpp"

namespace mqgate::control {
namespace {

using nlohmann::json;

constexpr std::string_view request_placeholder = "{request_id}";
constexpr std::string_view client_placeholder = "{clientid}";
constexpr std::string_view payload_prefix = "payload:";

Planned refused(Refusal refusal) {
    Planned p;
    p.refusal = std::move(refusal);
    return p;
}

Planned refuse(std::string code, std::string message) { return refused(Refusal{400, std::move(code), std::move(message)}); }

// A non-negative integer of milliseconds up to `max`; `out` keeps its default when absent.
std::optional<Planned> read_ms(const json& body, const char* key, std::chrono::milliseconds& out, std::int64_t min,
                               std::chrono::milliseconds max) {
    const auto it = body.find(key);
    if (it == body.end()) return std::nullopt;
    if (!it->is_number_integer() || it->get<std::int64_t>() < min || it->get<std::int64_t>() > max.count())
        return refuse(std::string("invalid_") + key, std::string("'") + key + "' must be an integer from " +
                                                        std::to_string(min) + " to " + std::to_string(max.count()) +
                                                        " (requests.max_timeout_ms)");
    out = std::chrono::milliseconds(it->get<std::int64_t>());
    return std::nullopt;
}

std::optional<Planned> read_targets(const json& body, const RequestLimits& limits, std::vector<std::string>& out) {
    const auto it = body.find("targets");
    if (it == body.end()) return std::nullopt;
    if (!it->is_array() || it->empty() || it->size() > limits.max_targets)
        return refuse("invalid_targets", "'targets' must be an array of 1 to " + std::to_string(limits.max_targets) +
                                             " client ids (requests.max_targets)");
    std::set<std::string, std::less<>> seen;
    for (const auto& target : *it) {
        // A client id becomes a topic level: '/', '+' and '#' would change the topic's meaning.
        if (!target.is_string() || target.get_ref<const std::string&>().empty() ||
            target.get_ref<const std::string&>().find_first_of("/+#") != std::string::npos)
            return refuse("invalid_targets", "each target must be a non-empty client id without '/', '+' or '#'");
        if (!seen.insert(target.get<std::string>()).second)
            return refuse("invalid_targets", "target '" + target.get<std::string>() + "' is given twice");
        out.push_back(target.get<std::string>());
    }
    return std::nullopt;
}

}  // namespace

json response_json(const mqtt::Message& m) {
    json r = {{"topic", m.topic}, {"qos", m.qos}, {"ts", m.timestamp_ms}};
    payload::put(r, m.payload);
    return r;
}

std::optional<Refusal> check_exchange_topics(const Exchange& e) {
    if (const auto ec = mqtt::validate_topic_name(e.topic))
        return Refusal{400, "invalid_topic", "'topic' '" + e.topic + "' is not a valid topic name: " + ec.message()};
    if (mqtt::is_sys_topic(e.topic))
        return Refusal{403, "forbidden_topic", "'" + e.topic + "': only the broker writes to $SYS"};
    if (e.response_topic.empty()) return std::nullopt;
    if (const auto ec = mqtt::validate_topic_filter(e.response_topic))
        return Refusal{400, "invalid_response_topic",
                       "'response_topic' '" + e.response_topic + "' is not a valid topic filter: " + ec.message()};
    // The request itself would be taken for its reply.
    if (mqtt::topic_matches(e.response_topic, e.topic))
        return Refusal{400, "invalid_response_topic", "'response_topic' must not match 'topic'"};
    return std::nullopt;
}

std::optional<Refusal> read_qos(const json& body, std::uint8_t& qos) {
    const auto q = body.find("qos");
    if (q == body.end()) return std::nullopt;
    if (!q->is_number_integer() || q->get<std::int64_t>() < 0 || q->get<std::int64_t>() > 2)
        return Refusal{400, "invalid_qos", "'qos' must be 0, 1 or 2"};
    qos = static_cast<std::uint8_t>(q->get<std::int64_t>());
    return std::nullopt;
}

std::optional<Refusal> read_correlation(const json& body, std::string& payload_key) {
    const auto c = body.find("correlation");
    if (c == body.end()) return std::nullopt;
    if (!c->is_string() || !c->get_ref<const std::string&>().starts_with(payload_prefix) ||
        c->get_ref<const std::string&>().size() == payload_prefix.size())
        return Refusal{400, "invalid_correlation", "'correlation' must be \"payload:<key>\""};
    payload_key = c->get<std::string>().substr(payload_prefix.size());
    return std::nullopt;
}

std::optional<Refusal> correlate_payload(Exchange& e, const std::string& payload) {
    if (e.payload_key.empty()) {
        e.payload = payload;
    } else if (auto with_id = put_correlation(payload, e.payload_key, e.request_id)) {
        e.payload = std::move(*with_id);
    } else {
        return Refusal{400, "invalid_payload", "with \"payload:<key>\" correlation the payload must be a JSON object"};
    }
    return std::nullopt;
}

Planned plan_request(const json& body, const RequestLimits& limits) {
    if (!body.is_object()) return refuse("invalid_request", "the body must be a JSON object");
    const auto topic = body.find("topic");
    if (topic == body.end() || !topic->is_string())
        return refuse("invalid_topic", "'topic' is required and must be a string");
    const auto response_topic = body.find("response_topic");
    if (response_topic == body.end() || !response_topic->is_string())
        return refuse("invalid_response_topic", "'response_topic' is required and must be a string");
    std::uint8_t qos = 1;
    if (auto bad = read_qos(body, qos)) return refused(std::move(*bad));
    auto payload = payload::read(body);
    if (payload.error) return refuse(payload.error->code, payload.error->message);

    std::string payload_key;
    if (auto bad = read_correlation(body, payload_key)) return refused(std::move(*bad));

    Planned planned;
    Plan& plan = planned.plan;
    if (auto bad = read_ms(body, "timeout_ms", plan.timeout, 1, limits.max_timeout)) return std::move(*bad);
    if (auto bad = read_ms(body, "wait_for_connect_ms", plan.wait_for_connect, 0, limits.max_timeout))
        return std::move(*bad);

    const auto& topic_pattern = topic->get_ref<const std::string&>();
    const auto& response_pattern = response_topic->get_ref<const std::string&>();
    std::vector<std::string> targets;
    if (auto bad = read_targets(body, limits, targets)) return std::move(*bad);
    plan.fan_out = !targets.empty();
    if (plan.fan_out) {
        if (!has_placeholder(topic_pattern, client_placeholder))
            return refuse("invalid_topic", "with 'targets', 'topic' must contain {clientid}");
        if (payload_key.empty() && !has_placeholder(response_pattern, client_placeholder) &&
            !has_placeholder(response_pattern, request_placeholder))
            return refuse("invalid_response_topic",
                          "with 'targets', 'response_topic' must contain {clientid} or {request_id}, "
                          "or 'correlation' must be \"payload:<key>\": replies would be ambiguous");
    } else {
        if (has_placeholder(topic_pattern, client_placeholder) || has_placeholder(response_pattern, client_placeholder))
            return refuse("invalid_topic", "{clientid} needs 'targets'");
        targets.emplace_back();
    }

    for (auto& target : targets) {
        Exchange e;
        e.request_id = next_unique_id();
        e.topic = substitute(topic_pattern, e.request_id, target);
        e.response_topic = substitute(response_pattern, e.request_id, target);
        e.client_id = std::move(target);
        e.qos = qos;
        e.payload_key = payload_key;
        if (auto bad = check_exchange_topics(e)) return refused(std::move(*bad));
        if (auto bad = correlate_payload(e, payload.bytes)) return refused(std::move(*bad));
        plan.exchanges.push_back(std::move(e));
    }
    return planned;
}

Answer answer(const Plan& plan, const std::vector<Outcome>& outcomes) {
    if (plan.fan_out) {
        json results = json::array();
        for (std::size_t i = 0; i < outcomes.size() && i < plan.exchanges.size(); ++i) {
            const auto& o = outcomes[i];
            json r = {{"clientid", plan.exchanges[i].client_id},
                      {"request_id", plan.exchanges[i].request_id},
                      {"status", to_string(o.status)},
                      {"elapsed_ms", o.elapsed.count()}};
            if (o.reply) r["response"] = response_json(*o.reply);
            results.push_back(std::move(r));
        }
        return {200, {{"results", std::move(results)}}};
    }
    const auto& e = plan.exchanges.front();
    const auto& o = outcomes.front();
    switch (o.status) {
        case Status::ok:
            return {200, {{"request_id", e.request_id}, {"response", response_json(*o.reply)}, {"elapsed_ms", o.elapsed.count()}}};
        case Status::timeout:
            return {504,
                    {{"error",
                      {{"code", "timeout"},
                       {"message", "no reply on '" + e.response_topic + "' within " + std::to_string(plan.timeout.count()) + " ms"}}},
                     {"request_id", e.request_id},
                     {"elapsed_ms", o.elapsed.count()}}};
        case Status::no_matching_subscribers:
            break;
    }
    return {404,
            {{"error", {{"code", "no_matching_subscribers"}, {"message", "no client subscribes to a filter matching '" + e.topic + "'"}}},
             {"request_id", e.request_id}}};
}

}  // namespace mqgate::control
