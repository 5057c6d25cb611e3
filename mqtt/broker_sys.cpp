// Statistics: the snapshot behind Broker::stats() and the $SYS/broker/...
// topics, named as Mosquitto names them so existing dashboards work.
#include <algorithm>

#include "mqtt/broker_core.hpp"

namespace mqgate::mqtt {

BrokerStats BrokerCore::snapshot() const {
    BrokerStats st = stats_;
    st.clients_connected = connected_;
    st.sessions = sessions_->size();
    st.clients_disconnected = st.sessions - std::min(st.sessions, st.clients_connected);
    st.subscriptions = subscriptions_.size();
    st.internal_subscriptions = internal_.size();
    st.retained = retained_->size();
    sessions_->for_each([&](SessionState& s) {
        st.inflight += s.inflight.size();
        st.queued += s.queue.size();
    });
    st.bytes_received = bytes_received_.load(std::memory_order_relaxed);
    st.bytes_sent = bytes_sent_.load(std::memory_order_relaxed);
    st.uptime_seconds = (now_ms() - started_ms_) / 1000;
    return st;
}

void BrokerCore::publish_sys() {
    const BrokerStats st = snapshot();
    // Retained, like Mosquitto's, so a new subscriber sees values at once.
    // Counted neither as received nor as retained-by-clients traffic.
    const auto put = [this](const char* name, std::string value) {
        route(make_message(std::string("$SYS/broker/") + name, std::move(value), 0, true, ""));
    };
    put("version", "mqgate " + options_.version);
    put("uptime", std::to_string(st.uptime_seconds) + " seconds");
    put("clients/connected", std::to_string(st.clients_connected));
    put("clients/disconnected", std::to_string(st.clients_disconnected));
    put("clients/total", std::to_string(st.sessions));
    put("clients/maximum", std::to_string(st.clients_maximum));
    put("messages/received", std::to_string(st.messages_received));
    put("messages/sent", std::to_string(st.messages_sent));
    put("messages/inflight", std::to_string(st.inflight));
    put("messages/stored", std::to_string(st.queued));
    put("publish/messages/received", std::to_string(st.messages_received));
    put("publish/messages/sent", std::to_string(st.messages_sent));
    put("publish/messages/dropped", std::to_string(st.messages_dropped));
    put("bytes/received", std::to_string(st.bytes_received));
    put("bytes/sent", std::to_string(st.bytes_sent));
    put("subscriptions/count", std::to_string(st.subscriptions));
    put("retained messages/count", std::to_string(st.retained));
}

}  // namespace mqgate::mqtt
