// SUBSCRIBE and UNSUBSCRIBE (§3.8–§3.11) and retained messages on subscribe.
#include <algorithm>
#include <cstdint>

#include "mqtt/broker_core.hpp"
#include "mqtt/topic.hpp"
#include "support/log.hpp"

namespace mqgate::mqtt {

void BrokerCore::on_subscribe(Link& link, Subscribe&& sub) {
    SessionState& s = *link.session_;
    const BrokerLimits& lim = options_.limits;
    Suback ack{sub.packet_id, {}};
    ack.return_codes.reserve(sub.subscriptions.size());
    std::vector<std::size_t> granted_index;
    for (std::size_t i = 0; i < sub.subscriptions.size(); ++i) {
        const Subscription& want = sub.subscriptions[i];
        const bool exists = s.subscriptions.contains(want.filter);
        const bool over_limit = topic_levels(want.filter) > lim.max_topic_levels ||
                                (!exists && s.subscriptions.size() >= lim.max_subscriptions_per_session);
        if (over_limit && !link.subscription_limit_logged_) {
            link.subscription_limit_logged_ = true;
            LOG_WARN("client '" << link.client_id() << "': subscription refused by mqtt.max_subscriptions_per_session / "
                                   "max_topic_levels (logged once per connection)");
        }
        if (over_limit || !auth_->authorize(link.username(), link.client_id(), want.filter, Access::read)) {
            ++stats_.subscribe_refused;
            ack.return_codes.push_back(suback_failure);
            continue;
        }
        s.subscriptions.set(want.filter, want.qos);
        subscriptions_.insert(want.filter, &s, want.qos);
        if (persistent(s)) persist_->subscribe(s.client_id, want.filter, want.qos);
        ack.return_codes.push_back(want.qos);
        granted_index.push_back(i);
        auto ev = event_for(link, EventType::session_subscribed);
        ev.topic = want.filter;
        ev.qos = want.qos;
        emit(std::move(ev));
    }
    send(link, ack);
    // Retained messages follow the SUBACK, for new and replaced subscriptions alike [MQTT-3.8.4-3].
    for (std::size_t i : granted_index) {
        send_retained(link, s, sub.subscriptions[i].filter, sub.subscriptions[i].qos);
    }
}

// All at once, under the lock: unlike a stream's replay, nothing paces this
// one by its reader yet (README "Known gaps").
void BrokerCore::send_retained(Link&, SessionState& s, const std::string& filter, std::uint8_t granted) {
    retained_->scan(filter, {}, SIZE_MAX, [&](const MessagePtr& msg) {
        deliver(s, msg, std::min(msg->qos, granted), true);  // [MQTT-3.3.1-8]: RETAIN set
        return true;
    });
}

void BrokerCore::on_unsubscribe(Link& link, Unsubscribe&& unsub) {
    SessionState& s = *link.session_;
    for (const std::string& filter : unsub.filters) {
        if (!s.subscriptions.erase(filter)) continue;
        subscriptions_.erase(filter, &s);
        if (persistent(s)) persist_->unsubscribe(s.client_id, filter);
        auto ev = event_for(link, EventType::session_unsubscribed);
        ev.topic = filter;
        emit(std::move(ev));
    }
    // [MQTT-3.10.4-4/-5]: UNSUBACK even when nothing matched.
    send(link, Unsuback{unsub.packet_id});
}

}  // namespace mqgate::mqtt
