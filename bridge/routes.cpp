#include "bridge/routes.hpp"

#include "mqtt/topic.hpp"

namespace mqgate::bridge {

std::vector<Route> make_routes(const std::vector<config::BridgeTopic>& topics) {
    std::vector<Route> routes;
    routes.reserve(topics.size());
    for (const auto& t : topics) routes.push_back(Route{t, t.local_prefix + t.filter, t.remote_prefix + t.filter});
    return routes;
}

namespace {

// `side` gives the filter of the side the topic comes from, its prefix and the prefix of the other side.
template <class Side>
std::optional<Crossing> cross(const std::vector<Route>& routes, std::string_view topic, bool outward, Side side) {
    for (const auto& route : routes) {
        if (outward ? !route.out() : !route.in()) continue;
        const auto [filter, from_prefix, to_prefix] = side(route);
        if (!topic.starts_with(from_prefix) || !mqtt::topic_matches(filter, topic)) continue;
        std::string name = to_prefix + std::string(topic.substr(from_prefix.size()));
        // "a/#" with prefix "a/" also matches "a": with the prefix taken off nothing may be left.
        if (mqtt::validate_topic_name(name)) continue;
        return Crossing{std::move(name), route.topic.qos};
    }
    return std::nullopt;
}

struct Sides {
    const std::string& filter;
    const std::string& from_prefix;
    const std::string& to_prefix;
};

}  // namespace

std::optional<Crossing> outbound(const std::vector<Route>& routes, std::string_view local_topic) {
    return cross(routes, local_topic, true, [](const Route& r) {
        return Sides{r.local_filter, r.topic.local_prefix, r.topic.remote_prefix};
    });
}

std::optional<Crossing> inbound(const std::vector<Route>& routes, std::string_view remote_topic) {
    return cross(routes, remote_topic, false, [](const Route& r) {
        return Sides{r.remote_filter, r.topic.remote_prefix, r.topic.local_prefix};
    });
}

}  // namespace mqgate::bridge
