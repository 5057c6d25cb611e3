// Stats, Prometheus metrics, health, readiness and the OpenAPI document.
#include <chrono>
#include <iterator>
#include <string>
#include <vector>

#include "config/login_throttle.hpp"
#include "control/request_service.hpp"
#include "events/event_json.hpp"
#include "events/event_log.hpp"
#include "http/api.hpp"
#include "http/api_util.hpp"
#include "http/openapi.hpp"
#include "http/request_stats.hpp"
#include "mqtt/broker.hpp"
#include "mqtt/net/transport.hpp"
#include "store/store.hpp"
#include "bridge/service.hpp"
#include "webhooks/service.hpp"

namespace mqgate::http {
namespace {

constexpr mqtt::EventType all_event_types[] = {
    mqtt::EventType::client_connected,   mqtt::EventType::client_disconnected,  mqtt::EventType::will_published,
    mqtt::EventType::session_subscribed, mqtt::EventType::session_unsubscribed, mqtt::EventType::client_kicked,
    mqtt::EventType::client_auth_failed, mqtt::EventType::command_sent,        mqtt::EventType::command_acked,
    mqtt::EventType::command_replied,    mqtt::EventType::command_expired,
};
static_assert(std::size(all_event_types) == events::EventLog::event_types);

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

class Exposition {
public:
    void metric(const char* name, const char* type, const char* help, std::uint64_t value) {
        head(name, type, help);
        out_ += name;
        out_ += ' ';
        out_ += std::to_string(value);
        out_ += '\n';
    }
    void head(const char* name, const char* type, const char* help) {
        out_ += "# HELP ";
        out_ += name;
        out_ += ' ';
        out_ += help;
        out_ += "\n# TYPE ";
        out_ += name;
        out_ += ' ';
        out_ += type;
        out_ += '\n';
    }
    // Label values here are status codes and event names: nothing to escape.
    void sample(const char* name, const char* label, const std::string& value, std::uint64_t n) {
        out_ += name;
        out_ += '{';
        out_ += label;
        out_ += "=\"";
        out_ += value;
        out_ += "\"} ";
        out_ += std::to_string(n);
        out_ += '\n';
    }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

struct Series {
    const char* metric;
    const char* type;
    const char* help;
    const char* key;  // of each entry's JSON object
};

// One sample per entry of `entries` for each series, labelled `label`="<entry's name>"
// (names are [A-Za-z0-9_.-]: nothing to escape).
template <std::size_t N>
void labelled_metrics(Exposition& e, const nlohmann::json& entries, const char* label, const Series (&series)[N]) {
    if (!entries.is_array() || entries.empty()) return;
    for (const auto& one : series) {
        e.head(one.metric, one.type, one.help);
        for (const auto& entry : entries)
            e.sample(one.metric, label, entry.value("name", ""), entry.value(one.key, std::uint64_t{0}));
    }
}

// Per webhook, from the "endpoints" of the stats section.
void webhook_metrics(Exposition& e, const nlohmann::json& webhooks) {
    static const Series series[] = {
        {"mqgate_webhook_pending", "gauge", "Webhook events waiting or in flight.", "pending"},
        {"mqgate_webhook_delivered_total", "counter", "Webhook events answered 2xx.", "delivered"},
        {"mqgate_webhook_failed_attempts_total", "counter", "Webhook attempts answered otherwise or not at all.",
         "failed_attempts"},
        {"mqgate_webhook_dropped_total", "counter", "Webhook events given up (max_age_s, max_pending, refused with a 4xx).", "dropped"},
    };
    const auto endpoints = webhooks.find("endpoints");
    if (endpoints != webhooks.end()) labelled_metrics(e, *endpoints, "webhook", series);
}

// Per bridge, from GET /api/v1/bridges' data (with "connected": 1 or 0 added).
void bridge_metrics(Exposition& e, const nlohmann::json& bridges) {
    static const Series series[] = {
        {"mqgate_bridge_connected", "gauge", "1 while the bridge's upstream connection is up and subscribed.", "connected"},
        {"mqgate_bridge_forwarded_out_total", "counter", "Messages the upstream took from this node (QoS 1/2: acknowledged).",
         "forwarded_out"},
        {"mqgate_bridge_forwarded_in_total", "counter", "Upstream messages published on this node.", "forwarded_in"},
        {"mqgate_bridge_queued", "gauge", "Messages waiting to go upstream or awaiting its acknowledgement.", "queued"},
        {"mqgate_bridge_dropped_total", "counter", "Messages dropped from a full bridge queue.", "dropped"},
        {"mqgate_bridge_denied_total", "counter", "Messages the local ACL kept from crossing the bridge.", "denied"},
        {"mqgate_bridge_failures_total", "counter", "Upstream connection attempts that failed and connections that ended.",
         "failures"},
    };
    labelled_metrics(e, bridges, "bridge", series);
}

nlohmann::json bridge_list(const bridge::BridgeService* service) {
    if (!service) return nlohmann::json::array();
    auto data = service->list_json()["data"];
    for (auto& b : data) b["connected"] = b["state"] == "connected" ? 1 : 0;
    return data;
}

std::string prometheus_text(const mqtt::BrokerStats& s, const store::StoreStats* storage, const events::EventLog& log,
                            const nlohmann::json& webhooks, const nlohmann::json& bridges) {
    Exposition e;
    e.metric("mqgate_connections", "gauge", "MQTT connections open now.", s.clients_connected);
    e.metric("mqgate_connections_max", "gauge", "Highest number of concurrent MQTT connections seen.",
             s.clients_maximum);
    e.metric("mqgate_connections_total", "counter", "Accepted MQTT CONNECTs since start.", s.connections_total);
    e.metric("mqgate_sessions", "gauge", "MQTT sessions, connected or persistent.", s.sessions);
    e.metric("mqgate_subscriptions", "gauge", "Client subscriptions.", s.subscriptions);
    e.metric("mqgate_retained_messages", "gauge", "Retained messages stored.", s.retained);
    e.metric("mqgate_inflight_messages", "gauge", "Outbound QoS 1/2 messages awaiting acknowledgement.", s.inflight);
    e.metric("mqgate_queued_messages", "gauge", "Messages queued for sessions.", s.queued);
    e.metric("mqgate_messages_received_total", "counter", "PUBLISH messages received (MQTT and API).",
             s.messages_received);
    e.metric("mqgate_messages_sent_total", "counter", "PUBLISH messages sent to MQTT clients.", s.messages_sent);
    e.metric("mqgate_messages_dropped_total", "counter", "Messages dropped (queue full or slow consumer).",
             s.messages_dropped);
    e.metric("mqgate_publish_denied_total", "counter", "PUBLISH messages refused by the ACL, and client writes to $SYS.",
             s.publish_denied);
    e.metric("mqgate_subscribe_refused_total", "counter",
             "Subscriptions refused (SUBACK 0x80): ACL, topic levels or subscription limit.", s.subscribe_refused);
    e.metric("mqgate_publish_throttled_total", "counter", "Times a connection paused for mqtt.max_publish_rate.",
             net::publish_throttled_total().load(std::memory_order_relaxed));
    const auto& logins = config::login_counters();
    e.metric("mqgate_login_failures_total", "counter",
             "Password logins refused as wrong (MQTT and HTTP Basic), after the full check.",
             logins.failed.load(std::memory_order_relaxed));
    e.metric("mqgate_login_throttled_total", "counter",
             "Password logins refused unchecked while their address or username backs off.",
             logins.throttled.load(std::memory_order_relaxed));
    e.metric("mqgate_login_busy_total", "counter", "Password logins refused unchecked: the verifier queue was full.",
             logins.busy.load(std::memory_order_relaxed));
    e.metric("mqgate_protocol_errors_total", "counter", "Connections closed for a protocol error.", s.protocol_errors);
    e.metric("mqgate_bytes_received_total", "counter", "Transport bytes received.", s.bytes_received);
    e.metric("mqgate_bytes_sent_total", "counter", "Transport bytes sent.", s.bytes_sent);
    if (storage) {
        e.metric("mqgate_storage_commits_total", "counter", "Durable store transactions committed.", storage->commits);
        e.metric("mqgate_storage_operations_total", "counter", "Durable store writes made.", storage->operations);
        e.metric("mqgate_storage_cancelled_operations_total", "counter",
                 "Durable store writes not made: a later write of the same commit undid them.",
                 storage->cancelled_operations);
        e.metric("mqgate_storage_empty_commits_total", "counter",
                 "Commits with nothing left to write after cancelling (no transaction, no sync).",
                 storage->empty_commits);
        e.metric("mqgate_storage_failed_commits_total", "counter",
                 "Durable store transactions that failed to write (disk full, I/O error).", storage->failed_commits);
        e.metric("mqgate_storage_write_failing", "gauge", "1 while the last durable store commit failed.",
                 storage->write_failing ? 1 : 0);
        e.metric("mqgate_storage_commit_microseconds_last", "gauge", "Duration of the last commit.",
                 storage->last_commit_us);
        e.metric("mqgate_storage_commit_microseconds_avg", "gauge", "Average duration of a commit.",
                 storage->avg_commit_us);
        e.metric("mqgate_storage_pending_writes", "gauge", "Write batches waiting for a commit.",
                 storage->pending_batches);
        e.metric("mqgate_storage_file_bytes", "gauge", "Bytes of the store's file and write-ahead log.",
                 storage->file_bytes);
    }
    e.metric("mqgate_uptime_seconds", "gauge", "Seconds since the broker started.",
             static_cast<std::uint64_t>(s.uptime_seconds < 0 ? 0 : s.uptime_seconds));

    e.head("mqgate_http_requests_total", "counter", "HTTP responses sent, by status code.");
    for (const auto& [code, n] : response_counts()) e.sample("mqgate_http_requests_total", "code", std::to_string(code), n);

    e.head("mqgate_events_total", "counter", "Broker events recorded, by event name.");
    const auto totals = log.totals();
    for (const auto type : all_event_types)
        e.sample("mqgate_events_total", "event", mqtt::to_string(type), totals[static_cast<std::size_t>(type)]);
    webhook_metrics(e, webhooks);
    bridge_metrics(e, bridges);
    return e.take();
}

nlohmann::json open_listeners_json(const std::vector<OpenListener>& listeners) {
    auto out = nlohmann::json::array();
    for (const auto& l : listeners) out.push_back({{"kind", l.kind}, {"address", l.address}, {"open", l.open}});
    return out;
}

nlohmann::json storage_json(const store::StoreStats* s) {
    if (!s) return {{"backend", "memory"}};
    return {{"backend", "sqlite"},
            {"commits", s->commits},
            {"failed_commits", s->failed_commits},
            {"write_failing", s->write_failing},
            {"write_error_episodes", s->write_error_episodes},
            {"last_commit_us", s->last_commit_us},
            {"avg_commit_us", s->avg_commit_us},
            {"operations", s->operations},
            {"cancelled_operations", s->cancelled_operations},
            {"empty_commits", s->empty_commits},
            {"pending_writes", s->pending_batches},
            {"file_bytes", s->file_bytes}};
}

// A gateway without webhooks shows the same totals, all zero.
nlohmann::json webhook_stats(const webhooks::WebhookService* service) {
    return webhooks::stats_json(service ? service->stats() : std::vector<webhooks::WebhookStats>{});
}

nlohmann::json stats_json(const std::string& node, const mqtt::BrokerStats& s, const store::StoreStats* storage,
                          const std::vector<OpenListener>& open_listeners, std::size_t requests_pending,
                          nlohmann::json webhooks) {
    const auto now = now_ms();
    return {
        {"node", node},
        {"connections", s.clients_connected},
        {"connections_max", s.clients_maximum},
        {"connections_total", s.connections_total},
        {"disconnected_sessions", s.clients_disconnected},
        {"sessions", s.sessions},
        {"subscriptions", s.subscriptions},
        {"internal_subscriptions", s.internal_subscriptions},
        {"requests_pending", requests_pending},
        {"retained", s.retained},
        {"inflight", s.inflight},
        {"queued", s.queued},
        {"messages_received", s.messages_received},
        {"messages_sent", s.messages_sent},
        {"messages_dropped", s.messages_dropped},
        {"publish_denied", s.publish_denied},
        {"subscribe_refused", s.subscribe_refused},
        {"protocol_errors", s.protocol_errors},
        {"login_failures", config::login_counters().failed.load(std::memory_order_relaxed)},
        {"login_throttled", config::login_counters().throttled.load(std::memory_order_relaxed)},
        {"login_busy", config::login_counters().busy.load(std::memory_order_relaxed)},
        {"bytes_received", s.bytes_received},
        {"bytes_sent", s.bytes_sent},
        {"uptime_seconds", s.uptime_seconds},
        {"time", events::rfc3339_utc(now)},
        {"time_ms", now},
        {"open_access", !open_listeners.empty()},
        {"open_listeners", open_listeners_json(open_listeners)},
        {"storage", storage_json(storage)},
        {"webhooks", std::move(webhooks)},
    };
}

}  // namespace

void add_status_routes(Router& router, const ApiContext& context) {
    mqtt::Broker& broker = context.broker;
    events::EventLog& log = context.events;

    router.add("GET", "/api/v1/stats", [&broker, open = context.open_listeners, requests = context.requests,
                                        webhooks = context.webhooks](const Call&) {
        store::StoreStats storage;
        const bool durable = broker.storage_stats(storage);
        return json_response(200, stats_json(broker.node_name(), broker.stats(), durable ? &storage : nullptr,
                                             open ? open() : std::vector<OpenListener>{},
                                             requests ? requests->pending() : 0,
                                             webhook_stats(webhooks)));
    });

    router.add("GET", "/metrics", [&broker, &log, webhooks = context.webhooks, bridges = context.bridges](const Call&) {
        Response r;
        r.content_type = "text/plain; version=0.0.4; charset=utf-8";
        store::StoreStats storage;
        const bool durable = broker.storage_stats(storage);
        r.body = prometheus_text(broker.stats(), durable ? &storage : nullptr, log,
                                 webhook_stats(webhooks), bridge_list(bridges));
        return r;
    });

    router.add("GET", "/healthz", [](const Call&) { return json_response(200, {{"status", "ok"}}); });

    router.add("GET", "/readyz", [ready = context.ready](const Call&) {
        if (ready && !ready()) return error_response(503, "not_ready", "the gateway is starting or shutting down");
        return json_response(200, {{"status", "ready"}});
    });

    router.add("GET", "/api/v1/openapi.json", [](const Call&) {
        Response r;
        r.body = openapi_document();
        return r;
    });
}

void add_api_routes(Router& router, const ApiContext& context) {
    add_publish_routes(router, context);
    add_request_routes(router, context);
    add_command_routes(router, context);
    add_webhook_routes(router, context);
    add_bridge_routes(router, context);
    add_client_routes(router, context);
    add_retained_routes(router, context);
    add_event_routes(router, context);
    add_status_routes(router, context);
    add_stream_routes(router, context);
}

}  // namespace mqgate::http
