// Connection status of every known session, kicking, and subscriptions.
#include <algorithm>
#include <tuple>

#include "http/api.hpp"
#include "http/api_util.hpp"
#include "mqtt/broker.hpp"
#include "mqtt/topic.hpp"

namespace mqgate::http {
namespace {

nlohmann::json client_json(const mqtt::ClientInfo& c) {
    nlohmann::json j = {
        {"clientid", c.client_id},
        {"username", c.username},
        {"connected", c.connected},
        {"ip_address", c.peer.address},
        {"port", c.peer.port},
        {"protocol", c.peer.protocol},
        {"keepalive", c.keepalive},
        {"clean_session", c.clean_session},
        {"subscriptions_cnt", c.subscriptions},
        {"inflight_cnt", c.inflight},
        {"mqueue_len", c.queued},
        {"mqueue_dropped", c.dropped},
        {"messages_in", c.messages_in},
        {"messages_out", c.messages_out},
    };
    put_time(j, "connected_at", c.connected_at_ms);
    put_time(j, "disconnected_at", c.disconnected_at_ms);
    j["disconnect_reason"] = c.disconnect_reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.disconnect_reason);
    j["will_topic"] = c.will_topic ? nlohmann::json(*c.will_topic) : nlohmann::json(nullptr);
    return j;
}

nlohmann::json subscription_json(const mqtt::SubscriptionInfo& s) {
    return {{"clientid", s.client_id}, {"topic", s.filter}, {"qos", s.qos}};
}

// Sorted so pages are stable while the set does not change.
void sort_subscriptions(std::vector<mqtt::SubscriptionInfo>& subs) {
    std::sort(subs.begin(), subs.end(), [](const auto& a, const auto& b) {
        return std::tie(a.client_id, a.filter) < std::tie(b.client_id, b.filter);
    });
}

Response subscription_page(std::vector<mqtt::SubscriptionInfo> subs, const Page& page) {
    sort_subscriptions(subs);
    auto data = nlohmann::json::array();
    for (std::size_t i = page.begin(subs.size()); i < page.end(subs.size()); ++i) data.push_back(subscription_json(subs[i]));
    return list_response(std::move(data), page, subs.size());
}

Response unknown_client(const std::string& id) {
    return error_response(404, "client_not_found", "no client with clientid '" + id + "'");
}

}  // namespace

void add_client_routes(Router& router, const ApiContext& context) {
    mqtt::Broker& broker = context.broker;

    router.add("GET", "/api/v1/clients", [&broker](const Call& call) {
        const auto paging = read_page(call);
        if (paging.error) return *paging.error;
        const auto connected = read_bool(call, "connected");
        if (connected.error) return *connected.error;
        const std::string* prefix = call.query_param("clientid");
        const std::string* username = call.query_param("username");

        auto all = broker.clients();
        std::erase_if(all, [&](const mqtt::ClientInfo& c) {
            return (connected.value && c.connected != *connected.value) ||
                   (prefix && !c.client_id.starts_with(*prefix)) || (username && c.username != *username);
        });
        std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.client_id < b.client_id; });
        auto data = nlohmann::json::array();
        const Page& page = paging.page;
        for (std::size_t i = page.begin(all.size()); i < page.end(all.size()); ++i) data.push_back(client_json(all[i]));
        return list_response(std::move(data), page, all.size());
    });

    router.add("GET", "/api/v1/clients/{clientid}", [&broker](const Call& call) {
        const auto& id = *call.param("clientid");
        const auto info = broker.client(id);
        if (!info) return unknown_client(id);
        return json_response(200, client_json(*info));
    });

    router.add("DELETE", "/api/v1/clients/{clientid}", [&broker](const Call& call) {
        const auto& id = *call.param("clientid");
        // kick() publishes the client's will, as EMQX does: the client did not
        // say goodbye with DISCONNECT.
        if (!broker.kick(id)) {
            if (!broker.client(id)) return unknown_client(id);
            return error_response(404, "client_not_connected", "client '" + id + "' is not connected");
        }
        Response r;
        r.status = 204;
        r.content_type.clear();
        return r;
    });

    router.add("GET", "/api/v1/clients/{clientid}/subscriptions", [&broker](const Call& call) {
        const auto paging = read_page(call);
        if (paging.error) return *paging.error;
        const auto& id = *call.param("clientid");
        if (!broker.client(id)) return unknown_client(id);
        auto subs = broker.subscriptions();
        std::erase_if(subs, [&](const mqtt::SubscriptionInfo& s) { return s.client_id != id; });
        return subscription_page(std::move(subs), paging.page);
    });

    router.add("GET", "/api/v1/subscriptions", [&broker](const Call& call) {
        const auto paging = read_page(call);
        if (paging.error) return *paging.error;
        const std::string* client = call.query_param("clientid");
        const std::string* topic = call.query_param("topic");
        if (topic && mqtt::validate_topic_filter(*topic))
            return error_response(400, "invalid_topic", "'topic' is not a valid topic filter");
        auto subs = broker.subscriptions();
        std::erase_if(subs, [&](const mqtt::SubscriptionInfo& s) {
            return (client && s.client_id != *client) || (topic && s.filter != *topic);
        });
        return subscription_page(std::move(subs), paging.page);
    });
}

}  // namespace mqgate::http
