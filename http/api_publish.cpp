// POST /api/v1/publish and /api/v1/publish/bulk: a publish enters the broker
// as an internal client's would (retained handling, no will). Answers follow
// EMQX v5: 200 {"id"} when something matched, 202 {"message":
// "no_matching_subscribers"} when nothing did. The answer is the publisher's
// acknowledgement, so like a PUBACK it waits until what the publish wrote
// (a retained message, a persistent session's queue) is durable; a commit
// that fails gives 503 not_stored.
#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "events/event_payload.hpp"
#include "http/api.hpp"
#include "http/api_util.hpp"
#include "http/publish_join.hpp"
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

// Calls `answer` once, at once for a refused publish, else when the publish is durable.
void publish_one(mqtt::Broker& broker, const Caller& caller, const nlohmann::json& item,
                 std::function<void(Outcome)> answer) {
    const auto refuse = [&](int status, std::string code, std::string message) {
        answer(error_outcome(status, std::move(code), std::move(message)));
    };
    if (!item.is_object()) return refuse(400, "invalid_request", "a publish must be a JSON object");
    const auto topic = item.find("topic");
    if (topic == item.end() || !topic->is_string())
        return refuse(400, "invalid_topic", "'topic' is required and must be a string");
    const auto& name = topic->get_ref<const std::string&>();
    if (const auto ec = mqtt::validate_topic_name(name))
        return refuse(400, "invalid_topic", "'topic' is not a valid topic name: " + ec.message());
    if (caller.may && !caller.may(name, mqtt::Access::write))
        return refuse(403, "forbidden", "the ACL does not let '" + caller.name + "' publish to '" + name + "'");

    std::uint8_t qos = 0;
    if (const auto q = item.find("qos"); q != item.end()) {
        if (!q->is_number_integer() || q->get<std::int64_t>() < 0 || q->get<std::int64_t>() > 2)
            return refuse(400, "invalid_qos", "'qos' must be 0, 1 or 2");
        qos = static_cast<std::uint8_t>(q->get<std::int64_t>());
    }
    bool retain = false;
    if (const auto r = item.find("retain"); r != item.end()) {
        if (!r->is_boolean()) return refuse(400, "invalid_retain", "'retain' must be true or false");
        retain = r->get<bool>();
    }
    auto payload = payload::read(item);
    if (payload.error) return refuse(400, payload.error->code, payload.error->message);

    // A refused publish is never reported stored: `join` then never answers, and `answer` is called here.
    auto join = std::make_shared<PublishJoin<Outcome>>([answer](Outcome outcome, std::error_code ec) {
        if (ec)
            return answer(error_outcome(503, "not_stored",
                                        "the message reached the connected subscribers but could not be stored (" +
                                            ec.message() + "); publish it again"));
        answer(std::move(outcome));
    });
    const auto result = broker.publish(name, std::move(payload.bytes), qos, retain, {},
                                       [join](std::error_code ec) { join->stored(ec); });
    if (result.error == mqtt::Errc::sys_topic_forbidden)
        return refuse(403, "forbidden_topic", "'" + name + "': " + result.error.message());
    if (result.error) return refuse(400, "invalid_topic", "'topic' was refused: " + result.error.message());
    if (result.matched == 0) return join->routed({202, {{"message", "no_matching_subscribers"}, {"matched", 0}}});
    join->routed({200, {{"id", next_unique_id()}, {"matched", result.matched}}});
}

// A bulk request's answers, one slot per item, sent when the last item's outcome is known.
struct BulkAnswers {
    BulkAnswers(std::size_t n, Reply r) : slots(n), left(n), reply(std::move(r)) {}
    void set(std::size_t i, Outcome outcome) {
        slots[i] = std::move(outcome);
        if (left.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
        auto answers = nlohmann::json::array();
        for (Outcome& o : slots) {
            o.body["status"] = o.status;
            answers.push_back(std::move(o.body));
        }
        reply(json_response(200, answers));
    }

    std::vector<Outcome> slots;
    std::atomic<std::size_t> left;
    Reply reply;
};

}  // namespace

void add_publish_routes(Router& router, const ApiContext& context) {
    mqtt::Broker& broker = context.broker;

    router.add_async("POST", "/api/v1/publish", [&broker](const Call& call, Reply reply) -> Cancel {
        auto body = read_json_body(call);
        if (body.error) {
            reply(std::move(*body.error));
            return nullptr;
        }
        publish_one(broker, call.caller, body.value,
                    [reply](Outcome o) { reply(json_response(o.status, o.body)); });
        return nullptr;
    });

    router.add_async("POST", "/api/v1/publish/bulk", [&broker](const Call& call, Reply reply) -> Cancel {
        auto body = read_json_body(call);
        if (body.error) {
            reply(std::move(*body.error));
            return nullptr;
        }
        if (!body.value.is_array()) {
            reply(error_response(400, "invalid_request", "the body must be a JSON array of publishes"));
            return nullptr;
        }
        if (body.value.size() > max_bulk_items) {
            reply(error_response(400, "too_many_items",
                                 "at most " + std::to_string(max_bulk_items) + " publishes per bulk request"));
            return nullptr;
        }
        if (body.value.empty()) {
            reply(json_response(200, nlohmann::json::array()));
            return nullptr;
        }
        auto answers = std::make_shared<BulkAnswers>(body.value.size(), std::move(reply));
        for (std::size_t i = 0; i < body.value.size(); ++i)
            publish_one(broker, call.caller, body.value[i], [answers, i](Outcome o) { answers->set(i, std::move(o)); });
        return nullptr;
    });
}

}  // namespace mqgate::http
