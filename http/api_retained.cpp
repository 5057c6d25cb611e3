// Retained messages: list by filter, read and delete by topic (in the path).
#include <algorithm>

#include "gateway/event_payload.hpp"
#include "http/api.hpp"
#include "http/api_util.hpp"
#include "mqtt/broker.hpp"
#include "mqtt/topic.hpp"

namespace mqgate::http {
namespace {

nlohmann::json retained_json(const mqtt::Message& m) {
    nlohmann::json j = {{"topic", m.topic}, {"qos", m.qos}, {"from_clientid", m.origin_client_id}};
    payload::put(j, m.payload);
    put_time(j, "published_at", m.timestamp_ms);
    return j;
}

std::optional<Response> check_topic(const std::string& topic) {
    if (const auto ec = mqtt::validate_topic_name(topic))
        return error_response(400, "invalid_topic", "topic in the path is not a valid topic name: " + ec.message());
    return std::nullopt;
}

}  // namespace

void add_retained_routes(Router& router, const ApiContext& context) {
    mqtt::Broker& broker = context.broker;

    router.add("GET", "/api/v1/retained", [&broker](const Call& call) {
        const auto paging = read_page(call);
        if (paging.error) return *paging.error;
        const std::string* given = call.query_param("filter");
        const std::string filter = given ? *given : "#";
        if (const auto ec = mqtt::validate_topic_filter(filter))
            return error_response(400, "invalid_filter", "'filter' is not a valid topic filter: " + ec.message());
        auto messages = broker.retained(filter);
        std::sort(messages.begin(), messages.end(), [](const auto& a, const auto& b) { return a->topic < b->topic; });
        auto data = nlohmann::json::array();
        const Page& page = paging.page;
        for (std::size_t i = page.begin(messages.size()); i < page.end(messages.size()); ++i)
            data.push_back(retained_json(*messages[i]));
        return list_response(std::move(data), page, messages.size());
    });

    router.add("GET", "/api/v1/retained/{topic+}", [&broker](const Call& call) {
        const auto& topic = *call.param("topic");
        if (auto bad = check_topic(topic)) return std::move(*bad);
        const auto message = broker.retained_get(topic);
        if (!message) return error_response(404, "retained_not_found", "no retained message on '" + topic + "'");
        return json_response(200, retained_json(*message));
    });

    router.add("DELETE", "/api/v1/retained/{topic+}", [&broker](const Call& call) {
        const auto& topic = *call.param("topic");
        if (auto bad = check_topic(topic)) return std::move(*bad);
        if (!broker.retained_delete(topic))
            return error_response(404, "retained_not_found", "no retained message on '" + topic + "'");
        Response r;
        r.status = 204;
        r.content_type.clear();
        return r;
    });
}

}  // namespace mqgate::http
