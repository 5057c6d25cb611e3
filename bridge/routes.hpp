// Which topics cross a bridge and what they are called on the other side
// (README "Bridges"). Pure: unit-tested without a network.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace mqgate::bridge {

// One "topics" entry with the filter of each side built: its prefix followed by the filter.
struct Route {
    config::BridgeTopic topic;
    std::string local_filter;
    std::string remote_filter;

    bool out() const noexcept { return topic.direction != config::BridgeDirection::in; }
    bool in() const noexcept { return topic.direction != config::BridgeDirection::out; }
};

std::vector<Route> make_routes(const std::vector<config::BridgeTopic>& topics);

// A topic that crosses: its name on the other side and the most QoS it crosses with.
struct Crossing {
    std::string topic;
    std::uint8_t qos = 0;
};

// A local topic going upstream: the first `out` or `both` route whose local
// filter matches it and whose local prefix it starts with gives its remote
// name (the local prefix replaced by the remote one); nullopt when none does.
std::optional<Crossing> outbound(const std::vector<Route>& routes, std::string_view local_topic);

// An upstream topic coming in, the same way with the sides swapped.
std::optional<Crossing> inbound(const std::vector<Route>& routes, std::string_view remote_topic);

}  // namespace mqgate::bridge
