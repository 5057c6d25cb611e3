#include "webhooks/service.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>

#include "events/event_json.hpp"
#include "events/event_payload.hpp"
#include "mqtt/topic.hpp"
#include "support/log.hpp"

namespace mqgate::webhooks {

namespace {

bool wants(const config::WebhookOptions& options, std::string_view event) {
    return std::find(options.events.begin(), options.events.end(), event) != options.events.end();
}

// The body of a message.publish event: the message as the JSON stream shows it, with the
// publisher's client id (empty for messages published through the API).
std::string message_body(const mqtt::Message& m) {
    nlohmann::json j = {{"event", "message.publish"}, {"clientid", m.publisher()},
                        {"topic", m.topic},           {"qos", m.qos},
                        {"retain", m.retain},         {"ts", m.timestamp_ms},
                        {"time", events::rfc3339_utc(m.timestamp_ms)}};
    payload::put(j, m.payload);
    return j.dump();
}

// Does the webhook want `m` as a message.publish event? Its topics (none: every topic).
bool wants_message(const config::WebhookOptions& options, const mqtt::Message& m) {
    if (!wants(options, "message.publish")) return false;
    if (options.topics.empty()) return true;
    return std::any_of(options.topics.begin(), options.topics.end(),
                       [&](const std::string& filter) { return mqtt::topic_matches(filter, m.topic); });
}

void on_event(const WebhookService::Current& current, const events::LoggedEvent& logged) {
    const char* name = mqtt::to_string(logged.event.type);
    std::string body;  // encoded once, for the first webhook that wants it
    // Held while iterating: a range-for over *current.get() would let the list go at once (C++20).
    const auto hooks = current.get();
    for (const auto& hook : *hooks) {
        if (!wants(hook->options(), name)) continue;
        if (body.empty()) body = events::event_to_json(logged.seq, logged.event).dump();
        hook->offer(logged.event.client_id, body);
    }
}

// Under the broker's lock (Broker::subscribe_staged): with a store, the events of `m` join the
// batch of the operation that publishes it, so its PUBACK/PUBREC waits for them (README
// "Webhooks": acknowledged means stored); they reach the outboxes after the lock is released.
std::function<void()> on_message(const WebhookService::Current& current, const mqtt::MessagePtr& m,
                                 store::Batch* batch) {
    auto hooks = current.get();
    std::vector<std::shared_ptr<Webhook>> wanting;
    for (const auto& hook : *hooks)
        if (wants_message(hook->options(), *m)) wanting.push_back(hook);
    if (wanting.empty()) return {};
    if (!batch)  // nothing to store: encoded after the lock is released
        return [wanting = std::move(wanting), m] {
            const std::string body = message_body(*m);
            for (const auto& hook : wanting) hook->offer(std::string(m->publisher()), body);
        };
    const std::string body = message_body(*m);
    std::vector<OutboxItem> items;
    for (const auto& hook : wanting) items.push_back(hook->stage(std::string(m->publisher()), body, batch));
    return [wanting = std::move(wanting), items = std::move(items)]() mutable {
        for (std::size_t i = 0; i < wanting.size(); ++i) wanting[i]->admit(std::move(items[i]));
    };
}

}  // namespace

std::shared_ptr<const WebhookService::Hooks> WebhookService::Current::get() const {
    std::lock_guard lock(mutex);
    return hooks;
}

WebhookService::WebhookService(const std::vector<config::WebhookOptions>& webhooks, mqtt::Broker& broker,
                               events::EventLog& log, std::shared_ptr<store::Store> store,
                               boost::asio::io_context& io)
    : broker_(broker), log_(log), store_(std::move(store)), io_(io) {
    std::vector<const config::WebhookOptions*> options;
    std::vector<std::size_t> index;
    for (std::size_t i = 0; i < webhooks.size(); ++i) {
        options.push_back(&webhooks[i]);
        index.push_back(i);
    }
    auto hooks = make(options, index);
    for (const auto& hook : hooks) hook->restore();
    current_->hooks = std::make_shared<const Hooks>(std::move(hooks));
    // Listening with no webhook costs a look at an empty list per event; SIGHUP may add some.
    listener_ = log_.listen([current = current_](const events::LoggedEvent& logged) { on_event(*current, logged); });
    track_messages(*current_->hooks);
}

WebhookService::~WebhookService() {
    log_.unlisten(listener_);
    if (subscription_) broker_.unsubscribe(subscription_);
}

WebhookService::Hooks WebhookService::make(const std::vector<const config::WebhookOptions*>& options,
                                           const std::vector<std::size_t>& index) {
    std::map<std::string, std::shared_ptr<boost::asio::ssl::context>> tls;  // by ca_file, "" = the system's CAs
    Hooks hooks;
    for (std::size_t i = 0; i < options.size(); ++i) {
        auto& context = tls[options[i]->ca_file];
        try {
            if (!context) context = client_tls_context(options[i]->ca_file);
        } catch (const std::runtime_error& e) {
            throw config::ConfigError("configuration", "webhooks[" + std::to_string(index[i]) + "].ca_file", e.what());
        }
        hooks.push_back(std::make_shared<Webhook>(*options[i], io_, context, store_));
    }
    return hooks;
}

void WebhookService::track_messages(const Hooks& hooks) {
    const bool wanted = std::any_of(hooks.begin(), hooks.end(),
                                    [](const auto& hook) { return wants(hook->options(), "message.publish"); });
    if (wanted && !subscription_) {
        subscription_ = broker_.subscribe_staged(
            "#", [current = current_](const mqtt::MessagePtr& m, store::Batch* batch) { return on_message(*current, m, batch); });
    } else if (!wanted && subscription_) {
        broker_.unsubscribe(std::exchange(subscription_, 0));
    }
}

void WebhookService::reload(const std::vector<config::WebhookOptions>& webhooks) {
    const auto old = current_->get();
    auto find = [&](const std::string& name) -> std::shared_ptr<Webhook> {
        for (const auto& hook : *old)
            if (hook->options().name == name) return hook;
        return nullptr;
    };
    // The new and changed definitions first: only they can fail (their ca_file), before anything changed.
    std::vector<const config::WebhookOptions*> fresh;
    std::vector<std::size_t> index;
    for (std::size_t i = 0; i < webhooks.size(); ++i) {
        const auto before = find(webhooks[i].name);
        if (before && before->options() == webhooks[i]) continue;
        fresh.push_back(&webhooks[i]);
        index.push_back(i);
    }
    const Hooks made = make(fresh, index);
    Hooks next;
    std::size_t kept = 0, added = 0, changed = 0, removed = 0;
    for (const auto& options : webhooks) {
        const auto before = find(options.name);
        if (before && before->options() == options) {
            next.push_back(before);
            ++kept;
            continue;
        }
        const auto it = std::find_if(made.begin(), made.end(), [&](const auto& h) { return h->options().name == options.name; });
        const auto& hook = *it;
        next.push_back(hook);
        if (before) {
            // Still listed until the swap below: what it is offered meanwhile goes to its successor, after what it held.
            const std::size_t moved = before->stop(hook);
            LOG_INFO("webhook " << options.name << ": definition changed; " << moved << " pending event(s) carried over");
            ++changed;
        } else {
            try {
                hook->restore();
            } catch (const std::exception& e) {
                LOG_ERROR("webhook " << options.name << ": its stored events could not be read (" << e.what()
                                     << "); they stay in the store until a restart");
            }
            ++added;
        }
    }
    for (const auto& hook : *old) {
        const auto& name = hook->options().name;
        if (std::any_of(webhooks.begin(), webhooks.end(), [&](const auto& o) { return o.name == name; })) continue;
        LOG_INFO("webhook " << name << ": removed; " << hook->stop(nullptr) << " pending event(s) discarded");
        ++removed;
    }
    if (!subscription_) track_messages(next);  // subscribed before the list that needs it is in place
    {
        std::lock_guard lock(current_->mutex);
        current_->hooks = std::make_shared<const Hooks>(next);
    }
    track_messages(next);
    LOG_INFO("webhooks reloaded: " << kept << " unchanged, " << added << " added, " << changed << " changed, "
                                   << removed << " removed");
}

namespace {

nlohmann::json endpoint_json(const WebhookStats& s) {
    return {{"name", s.name},
            {"pending", s.pending},
            {"in_flight", s.in_flight},
            {"delivered", s.delivered},
            {"failed_attempts", s.failed_attempts},
            {"dropped", s.expired + s.overflowed + s.refused},
            {"expired", s.expired},
            {"overflowed", s.overflowed},
            {"refused", s.refused},
            {"store_errors", s.store_errors},
            {"last_status", s.last_status},
            {"last_error", s.last_error},
            {"last_success_ms", s.last_success_ms}};
}

}  // namespace

nlohmann::json stats_json(const std::vector<WebhookStats>& stats) {
    std::uint64_t pending = 0, delivered = 0, failed = 0, dropped = 0;
    auto endpoints = nlohmann::json::array();
    for (const auto& s : stats) {
        pending += s.pending;
        delivered += s.delivered;
        failed += s.failed_attempts;
        dropped += s.expired + s.overflowed + s.refused;
        endpoints.push_back(endpoint_json(s));
    }
    return {{"pending", pending},
            {"delivered", delivered},
            {"failed_attempts", failed},
            {"dropped", dropped},
            {"endpoints", std::move(endpoints)}};
}

nlohmann::json WebhookService::list_json() const {
    const auto hooks = current_->get();
    auto data = nlohmann::json::array();
    for (const auto& hook : *hooks) {
        const auto s = hook->stats();
        auto j = endpoint_json(s);
        j["url"] = hook->options().url;
        j["events"] = hook->options().events;
        j["last_success"] = s.last_success_ms ? nlohmann::json(events::rfc3339_utc(s.last_success_ms)) : nullptr;
        data.push_back(std::move(j));
    }
    return {{"data", std::move(data)}, {"meta", {{"page", 1}, {"limit", hooks->size()}, {"count", hooks->size()}}}};
}

std::optional<nlohmann::json> WebhookService::failed_json(std::string_view name) const {
    const auto hooks = current_->get();
    const auto hook = std::find_if(hooks->begin(), hooks->end(), [name](const auto& h) { return h->options().name == name; });
    if (hook == hooks->end()) return std::nullopt;
    auto data = nlohmann::json::array();
    for (const auto& f : (*hook)->failed())
        data.push_back({{"id", f.id},
                        {"clientid", f.client},
                        {"reason", f.reason},
                        {"attempts", f.attempts},
                        {"last_status", f.last_status},
                        {"last_error", f.last_error},
                        {"created_ms", f.created_ms},
                        {"failed_ms", f.failed_ms},
                        {"failed_at", events::rfc3339_utc(f.failed_ms)},
                        {"event", nlohmann::json::parse(f.body, nullptr, /*allow_exceptions=*/false)}});
    const auto count = data.size();
    return nlohmann::json{{"data", std::move(data)},
                          {"meta", {{"page", 1}, {"limit", Webhook::failed_kept}, {"count", count}}}};
}

std::vector<WebhookStats> WebhookService::stats() const {
    std::vector<WebhookStats> out;
    const auto hooks = current_->get();
    for (const auto& hook : *hooks) out.push_back(hook->stats());
    return out;
}

}  // namespace mqgate::webhooks
