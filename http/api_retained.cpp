// Retained messages: list by filter, read and delete by topic (in the path).
#include "events/event_payload.hpp"
#include "http/api.hpp"
#include "http/api_util.hpp"
#include "mqtt/broker.hpp"
#include "mqtt/topic.hpp"

namespace mqgate::http {
namespace {

nlohmann::json retained_json(const mqtt::Message& m) {
    nlohmann::json j = {{"topic", m.topic}, {"qos", m.qos}, {"from_clientid", m.publisher()}};
    payload::put(j, m.payload);
    put_time(j, "published_at", m.timestamp_ms);
    return j;
}

// Stored topics one list call examines at most, matching or not: what bounds
// its time under the broker's lock when few topics match the filter.
constexpr std::size_t scan_budget = 10 * max_page_limit;

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
        // Pages follow a cursor: counting to page N would walk the set under
        // the broker's lock.
        if (paging.page.page != 1)
            return error_response(400, "invalid_page", "'page' must be 1: follow meta.next with 'after' instead");
        const std::string* given = call.query_param("filter");
        const std::string filter = given ? *given : "#";
        if (const auto ec = mqtt::validate_topic_filter(filter))
            return error_response(400, "invalid_filter", "'filter' is not a valid topic filter: " + ec.message());
        const std::string* after = call.query_param("after");
        if (after && !after->empty() && mqtt::validate_topic_name(*after))
            return error_response(400, "invalid_after",
                                  "'after' must be a topic name (meta.next of the previous page)");
        const std::size_t limit = paging.page.limit;
        const auto page = broker.retained_page(filter, after ? *after : "", limit, scan_budget);
        auto data = nlohmann::json::array();
        for (const auto& m : page.messages) data.push_back(retained_json(*m));
        const nlohmann::json next = page.next.empty() ? nlohmann::json(nullptr) : nlohmann::json(page.next);
        return json_response(200, {{"data", std::move(data)},
                                   {"meta", {{"limit", limit}, {"count", page.messages.size()}, {"next", next}}}});
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
