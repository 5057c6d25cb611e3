#include "webhooks/service.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "events/event_json.hpp"
#include "events/event_payload.hpp"
#include "mqtt/topic.hpp"

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

}  // namespace

WebhookService::WebhookService(const std::vector<config::WebhookOptions>& webhooks, mqtt::Broker& broker,
                               events::EventLog& log, std::shared_ptr<store::Store> store,
                               boost::asio::io_context& io)
    : broker_(broker), log_(log) {
    if (webhooks.empty()) return;
    std::map<std::string, std::shared_ptr<boost::asio::ssl::context>> tls;  // by ca_file, "" = the system's CAs
    for (std::size_t i = 0; i < webhooks.size(); ++i) {
        const auto& options = webhooks[i];
        auto& context = tls[options.ca_file];
        try {
            if (!context) context = client_tls_context(options.ca_file);
        } catch (const std::runtime_error& e) {
            throw config::ConfigError("configuration", "webhooks[" + std::to_string(i) + "].ca_file", e.what());
        }
        auto& webhook = webhooks_.emplace_back(std::make_shared<Webhook>(options, io, context, store));
        webhook->restore();
    }
    // The listener may run once more after unlisten(): it holds the webhooks, not this.
    listener_ = log_.listen([hooks = webhooks_](const events::LoggedEvent& logged) {
        const char* name = mqtt::to_string(logged.event.type);
        std::string body;  // encoded once, for the first webhook that wants it
        for (const auto& hook : hooks) {
            if (!wants(hook->options(), name)) continue;
            if (body.empty()) body = events::event_to_json(logged.seq, logged.event).dump();
            hook->offer(logged.event.client_id, body);
        }
    });
    for (const auto& hook : webhooks_) {
        if (!wants(hook->options(), "message.publish")) continue;
        const auto& topics = hook->options().topics;
        const std::vector<std::string> filters = topics.empty() ? std::vector<std::string>{"#"} : topics;
        for (std::size_t i = 0; i < filters.size(); ++i) {
            // A message matching several filters is offered once: by the first of them.
            subscriptions_.push_back(broker_.subscribe(filters[i], [hook, filters, i](const mqtt::MessagePtr& m) {
                for (std::size_t j = 0; j < i; ++j)
                    if (mqtt::topic_matches(filters[j], m->topic)) return;
                hook->offer(std::string(m->publisher()), message_body(*m));
            }));
        }
    }
}

WebhookService::~WebhookService() {
    if (listener_) log_.unlisten(listener_);
    for (const auto id : subscriptions_) broker_.unsubscribe(id);
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
    auto data = nlohmann::json::array();
    for (const auto& hook : webhooks_) {
        const auto s = hook->stats();
        auto j = endpoint_json(s);
        j["url"] = hook->options().url;
        j["events"] = hook->options().events;
        j["last_success"] = s.last_success_ms ? nlohmann::json(events::rfc3339_utc(s.last_success_ms)) : nullptr;
        data.push_back(std::move(j));
    }
    return {{"data", std::move(data)}, {"meta", {{"page", 1}, {"limit", webhooks_.size()}, {"count", webhooks_.size()}}}};
}

std::optional<nlohmann::json> WebhookService::failed_json(std::string_view name) const {
    const auto hook = std::find_if(webhooks_.begin(), webhooks_.end(),
                                   [name](const auto& h) { return h->options().name == name; });
    if (hook == webhooks_.end()) return std::nullopt;
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
    for (const auto& hook : webhooks_) out.push_back(hook->stats());
    return out;
}

}  // namespace mqgate::webhooks
