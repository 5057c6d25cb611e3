// The narrow API: what transports and the rest of the gateway may call.
#include "mqtt/broker.hpp"

#include <algorithm>

#include "mqtt/broker_core.hpp"
#include "mqtt/topic.hpp"
#include "support/log.hpp"

namespace mqgate::mqtt {

using Op = BrokerCore::Op;

Broker::Broker(BrokerOptions options, std::shared_ptr<Authorizer> auth, std::shared_ptr<RetainedStore> retained,
               std::shared_ptr<SessionStore> sessions, Clock clock, std::shared_ptr<store::Store> store)
    : core_(std::make_unique<BrokerCore>(std::move(options), std::move(auth), std::move(retained),
                                         std::move(sessions), std::move(clock), std::move(store))) {}

Broker::~Broker() = default;

void Broker::load() {
    if (!core_->persist_) return;
    auto state = core_->persist_->store().load();  // disk reads outside the lock
    Op op(*core_);
    core_->restore(std::move(state));
}

std::shared_ptr<ClientLink> Broker::attach(std::shared_ptr<Connection> conn) {
    auto link = std::make_shared<Link>(*core_, std::move(conn));
    Op op(*core_);
    core_->links_.push_back(*link);
    return link;
}

void Broker::count_bytes(std::uint64_t received, std::uint64_t sent) noexcept {
    core_->bytes_received_.fetch_add(received, std::memory_order_relaxed);
    core_->bytes_sent_.fetch_add(sent, std::memory_order_relaxed);
}

const BrokerLimits& Broker::limits() const noexcept { return core_->options_.limits; }
const std::string& Broker::node_name() const noexcept { return core_->options_.node_name; }

namespace {

// The API's publishes: `origin` "" or a tracked message's mark (message.hpp).
PublishResult publish_from(BrokerCore& core, std::string topic, std::string payload, std::uint8_t qos, bool retain,
                           std::string origin, Broker::StoredCallback stored = {}) {
    PublishResult result;
    if (qos > 2) {
        result.error = Errc::invalid_qos;
        return result;
    }
    if (auto ec = validate_topic_name(topic)) {
        result.error = ec;
        return result;
    }
    Op op(core);
    if (topic_levels(topic) > core.options_.limits.max_topic_levels) {
        result.error = Errc::too_many_topic_levels;
        return result;
    }
    ++core.stats_.messages_received;
    result.matched = core.route(core.make_message(std::move(topic), std::move(payload), qos, retain, std::move(origin)));
    if (stored) {
        if (core.persist_ && core.persist_->writing())
            core.persist_->on_commit(std::move(stored));
        else
            core.deferred_.push_back([stored = std::move(stored)] { stored({}); });
    }
    return result;
}

}  // namespace

PublishResult Broker::publish(std::string topic, std::string payload, std::uint8_t qos, bool retain,
                              std::string_view tag, StoredCallback stored) {
    if (is_sys_topic(topic)) {
        Op op(*core_);
        ++core_->stats_.publish_denied;
        return PublishResult{Errc::sys_topic_forbidden, 0};
    }
    std::string origin;
    if (!tag.empty()) origin.append(1, '\0').append(tag);
    return publish_from(*core_, std::move(topic), std::move(payload), qos, retain, std::move(origin),
                        std::move(stored));
}

PublishResult Broker::publish_as_broker(std::string topic, std::string payload, std::uint8_t qos, bool retain) {
    return publish_from(*core_, std::move(topic), std::move(payload), qos, retain, "");
}

namespace {

// Adds an internal subscriber (Broker::subscribe, subscribe_staged): its id, or 0 for a bad filter.
std::uint64_t add_internal(BrokerCore& core, BrokerCore::InternalSubscriber sub) {
    if (validate_topic_filter(sub.filter)) return 0;
    BrokerCore::Op op(core);
    if (topic_levels(sub.filter) > core.options_.limits.max_topic_levels) return 0;
    const std::uint64_t id = core.next_id_++;
    core.internal_tree_.insert(sub.filter, id, 2);
    core.internal_.emplace(id, std::move(sub));
    return id;
}

}  // namespace

std::uint64_t Broker::subscribe(std::string filter, MessageCallback on_message, bool relays) {
    return add_internal(*core_,
                        {std::move(filter), std::make_shared<const MessageCallback>(std::move(on_message)), {}, relays});
}

std::uint64_t Broker::subscribe_staged(std::string filter, StageCallback stage, bool relays) {
    return add_internal(*core_, {std::move(filter), nullptr, std::move(stage), relays});
}

void Broker::unsubscribe(std::uint64_t subscription_id) {
    Op op(*core_);
    auto it = core_->internal_.find(subscription_id);
    if (it == core_->internal_.end()) return;
    core_->internal_tree_.erase(it->second.filter, subscription_id);
    core_->internal_.erase(it);
}

bool Broker::has_subscriber(std::string_view topic) const {
    if (validate_topic_name(topic)) return false;
    Op op(*core_);
    bool found = false;
    core_->subscriptions_.match(topic, [&](SessionState*, std::uint8_t) { found = true; });
    if (!found) {
        core_->internal_tree_.match(topic, [&](std::uint64_t id, std::uint8_t) {
            const auto it = core_->internal_.find(id);
            if (it != core_->internal_.end() && it->second.relays) found = true;
        });
    }
    return found;
}

ClientInfo BrokerCore::client_info(std::string_view id, bool clean_session, const ClientStatus& status,
                                   const SessionState* s, const ClientRecord* record) const {
    ClientInfo info;
    info.client_id = id;
    info.clean_session = clean_session;
    info.connected_at_ms = status.connected_at_ms;
    info.disconnected_at_ms = status.disconnected_at_ms;
    if (s && s->link) {
        const Link& link = *s->link;
        info.connected = true;
        info.username = link.username();
        if (link.conn_) info.peer = link.conn_->peer();
        info.keepalive = link.keepalive_;
        if (const Will* will = link.will()) info.will_topic = will->topic;
    } else if (status.departure) {
        info.username = status.departure->username;
        info.peer = status.departure->peer;
        info.keepalive = status.departure->keepalive;
        info.disconnect_reason = status.departure->reason;
    }
    if (s) {
        info.subscriptions = s->subscriptions.size();
        info.inflight = s->inflight.size();
        info.queued = s->queue.size();
        info.dropped = s->dropped;
        info.messages_in = s->messages_in;
        info.messages_out = s->messages_out;
    } else if (record) {
        info.dropped = record->dropped;
        info.messages_in = record->messages_in;
        info.messages_out = record->messages_out;
    }
    return info;
}

std::vector<ClientInfo> Broker::clients() const {
    Op op(*core_);
    std::vector<ClientInfo> out;
    out.reserve(core_->sessions_->size() + core_->records_.size());
    core_->sessions_->for_each(
        [&](SessionState& s) { out.push_back(core_->client_info(s.client_id, s.clean_session, s.status, &s)); });
    for (const auto& [id, rec] : core_->records_) {
        out.push_back(core_->client_info(id, rec.clean_session, rec.status, nullptr, &rec));
    }
    return out;
}

std::optional<ClientInfo> Broker::client(std::string_view client_id) const {
    Op op(*core_);
    if (const SessionState* s = core_->sessions_->find(client_id)) {
        return core_->client_info(s->client_id, s->clean_session, s->status, s);
    }
    auto it = core_->records_.find(std::string(client_id));
    if (it == core_->records_.end()) return std::nullopt;
    return core_->client_info(it->first, it->second.clean_session, it->second.status, nullptr, &it->second);
}

std::vector<SubscriptionInfo> Broker::subscriptions() const {
    Op op(*core_);
    std::vector<SubscriptionInfo> out;
    core_->sessions_->for_each([&](SessionState& s) {
        for (const auto& [filter, qos] : s.subscriptions) out.push_back({std::string(s.client_id), filter, qos});
    });
    return out;
}

RetainedPage Broker::retained_page(std::string_view filter, std::string_view after, std::size_t limit,
                                   std::size_t budget) const {
    RetainedPage page;
    if (validate_topic_filter(filter) || limit == 0) return page;
    page.messages.reserve(std::min(limit, budget));
    Op op(*core_);
    auto scan = core_->retained_->scan(filter, after, budget, [&](const MessagePtr& m) {
        page.messages.push_back(m);
        return page.messages.size() < limit;
    });
    if (!scan.done) page.next = std::move(scan.last);
    return page;
}

MessagePtr Broker::retained_get(std::string_view topic) const {
    Op op(*core_);
    return core_->retained_->get(topic);
}

bool Broker::retained_delete(std::string_view topic) {
    Op op(*core_);
    if (!core_->retained_->erase(topic)) return false;
    if (core_->persist_) core_->persist_->erase_retained(topic);
    return true;
}

bool Broker::kick(std::string_view client_id) {
    Op op(*core_);
    Link* found = core_->live_link(client_id);
    if (!found) return false;
    Link& link = *found;
    core_->emit(core_->event_for(link, EventType::client_kicked));
    core_->close_link(link, DisconnectReason::kicked);
    return true;
}

void Broker::set_ack_listener(AckListener listener) {
    Op op(*core_);
    core_->ack_listener_ = listener ? std::make_shared<const AckListener>(std::move(listener)) : nullptr;
}

std::uint64_t Broker::observe(Observer observer) {
    Op op(*core_);
    const std::uint64_t id = core_->next_id_++;
    core_->observers_.emplace(id, std::make_shared<const Observer>(std::move(observer)));
    return id;
}

void Broker::unobserve(std::uint64_t observer_id) {
    Op op(*core_);
    core_->observers_.erase(observer_id);
}

BrokerStats Broker::stats() const {
    Op op(*core_);
    return core_->snapshot();
}

bool Broker::storage_stats(store::StoreStats& out) const {
    // persist_ is set once, at construction: no lock needed to read it; the store has its own.
    if (!core_->persist_) return false;
    out = core_->persist_->store().stats();
    return true;
}

void Broker::dispatch_commits(Dispatch dispatch) {
    if (core_->persist_) core_->persist_->set_dispatch(std::move(dispatch));
}

void Broker::tick() {
    Op op(*core_);
    core_->expire_awaiting_rel();
    core_->publish_sys();
}

void Broker::shutdown() {
    Op op(*core_);
    // Every attached link, including those still waiting for CONNECT: each
    // close lets its transport finish and release the connection.
    for (Link& link : core_->links_) {
        link.drop_will();  // the broker is going away, not the client
        core_->close_link(link, DisconnectReason::server_shutdown);
    }
}

}  // namespace mqgate::mqtt
