// POST /api/v1/publish and /api/v1/publish/bulk: a publish enters the broker
// as an internal client's would (retained handling, no will). Answers follow
// EMQX v5: 200 {"id"} when something matched, 202 {"message":
// "no_matching_subscribers"} when nothing did.
#include "events/event_payload.hpp"
#include "http/api.hpp"
#include "http/api_util.hpp"
#include "mqtt/broker.hpp"
#include "mqtt/errors.hpp"
#include "mqtt/topic.hpp"
#include "support/unique_id.hpp"

namespace mqgate::http {
namespace {

inline constexpr std::size_t max_bulk_items = 1000;

struct Outcome {
    int status;
    nlohmann::json body;
};

Outcome error_outcome(int status, std::string code, std::string message) {
    return {status, {{"error", {{"code", std::move(code)}, {"message", std::move(message)}}}}};
}

Outcome publish_one(mqtt::Broker& broker, const Caller& caller, const nlohmann::json& item) {
    if (!item.is_object()) return error_outcome(400, "invalid_request", "a publish must be a JSON object");
    const auto topic = item.find("topic");
    if (topic == item.end() || !topic->is_string())
        return error_outcome(400, "invalid_topic", "'topic' is required and must be a string");
    const auto& name = topic->get_ref<const std::string&>();
    if (const auto ec = mqtt::validate_topic_name(name))
        return error_outcome(400, "invalid_topic", "'topic' is not a valid topic name: " + ec.message());
    if (caller.may && !caller.may(name, mqtt::Access::write))
        return error_outcome(403, "forbidden", "the ACL does not let '" + caller.name + "' publish to '" + name + "'");

    std::uint8_t qos = 0;
    if (const auto q = item.find("qos"); q != item.end()) {
        if (!q->is_number_integer() || q->get<std::int64_t>() < 0 || q->get<std::int64_t>() > 2)
            return error_outcome(400, "invalid_qos", "'qos' must be 0, 1 or 2");
        qos = static_cast<std::uint8_t>(q->get<std::int64_t>());
    }
    bool retain = false;
    if (const auto r = item.find("retain"); r != item.end()) {
        if (!r->is_boolean()) return error_outcome(400, "invalid_retain", "'retain' must be true or false");
        retain = r->get<bool>();
    }
    auto payload = payload::read(item);
    if (payload.error) return error_outcome(400, payload.error->code, payload.error->message);

    const auto result = broker.publish(name, std::move(payload.bytes), qos, retain);
    if (result.error == mqtt::Errc::sys_topic_forbidden)
        return error_outcome(403, "forbidden_topic", "'" + name + "': " + result.error.message());
    if (result.error) return error_outcome(400, "invalid_topic", "'topic' was refused: " + result.error.message());
    if (result.matched == 0) return {202, {{"message", "no_matching_subscribers"}, {"matched", 0}}};
    return {200, {{"id", next_unique_id()}, {"matched", result.matched}}};
}

}  // namespace

void add_publish_routes(Router& router, const ApiContext& context) {
    mqtt::Broker& broker = context.broker;

    router.add("POST", "/api/v1/publish", [&broker](const Call& call) {
        auto body = read_json_body(call);
        if (body.error) return std::move(*body.error);
        auto outcome = publish_one(broker, call.caller, body.value);
        return json_response(outcome.status, outcome.body);
    });

    router.add("POST", "/api/v1/publish/bulk", [&broker](const Call& call) {
        auto body = read_json_body(call);
        if (body.error) return std::move(*body.error);
        if (!body.value.is_array())
            return error_response(400, "invalid_request", "the body must be a JSON array of publishes");
        if (body.value.size() > max_bulk_items)
            return error_response(400, "too_many_items",
                                  "at most " + std::to_string(max_bulk_items) + " publishes per bulk request");
        auto answers = nlohmann::json::array();
        for (const auto& item : body.value) {
            auto outcome = publish_one(broker, call.caller, item);
            outcome.body["status"] = outcome.status;
            answers.push_back(std::move(outcome.body));
        }
        return json_response(200, answers);
    });
}

}  // namespace mqgate::http
