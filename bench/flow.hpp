// Publishers -> broker -> subscribers: the shape of every throughput and
// latency scenario, over TCP or over WebSocket.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "bench/args.hpp"
#include "bench/harness.hpp"
#include "bench/roles.hpp"

namespace mqgate::bench {

struct FlowSpec {
    unsigned publishers = 1;
    unsigned subscribers = 1;
    std::string filter;
    std::uint8_t sub_qos = 0;
    // Subscribers connect with clean session 0 and fixed client ids
    // (bench-sub-persistent-<n>), so a broker with storage keeps what it
    // queues for them on disk.
    bool persistent_subscribers = false;
    bool per_publisher_topic = true;
    PublisherConfig pub;
    bool latency = false;
    std::string ws_path;               // MQTT over WebSocket when set
    unsigned short ws_port = 0;        // the HTTP listener carrying ws_path
    // Deliveries counted by a webhook receiver listening on this port (the
    // gateway's webhook POSTs to it) rather than by MQTT subscribers.
    unsigned short webhook_port = 0;
    boost::asio::ip::tcp::endpoint endpoint(const Common& c) const {
        return ws_path.empty() ? c.broker : boost::asio::ip::tcp::endpoint(c.broker.address(), ws_port);
    }
    boost::asio::ip::tcp::endpoint subscriber_endpoint(const Common& c) const {
        return ws_path.empty() ? c.subscriber_broker : endpoint(c);
    }
};

// Runs the flow (connect, warm up, measure, drain) and adds its results to `out`.
nlohmann::json run_flow(const Common& c, const FlowSpec& spec, nlohmann::json out);
nlohmann::json flow_params(const FlowSpec& s);
// The fan-in flow from its flags (shared by fanin-* and ws-throughput).
FlowSpec fanin_spec(Args& a, int qos);

}  // namespace mqgate::bench
