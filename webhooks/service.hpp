// Every configured webhook, fed from the event log (connection, will and
// subscription events) and from broker subscriptions (message.publish).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "events/event_log.hpp"
#include "mqtt/broker.hpp"
#include "store/store.hpp"
#include "webhooks/webhook.hpp"

namespace mqgate::webhooks {

// /api/v1/stats "webhooks": totals over every webhook, then each one under "endpoints".
nlohmann::json stats_json(const std::vector<WebhookStats>& stats);

class WebhookService {
public:
    // Takes back what each webhook's store queue holds (throws StoreError),
    // then listens. Requests run on `io`'s thread. Broker and log must outlive
    // it. A ca_file that does not load throws config::ConfigError.
    WebhookService(const std::vector<config::WebhookOptions>& webhooks, mqtt::Broker& broker, events::EventLog& log,
                   std::shared_ptr<store::Store> store, boost::asio::io_context& io);
    ~WebhookService();
    WebhookService(const WebhookService&) = delete;
    WebhookService& operator=(const WebhookService&) = delete;

    // SIGHUP: `webhooks` become the list (README "Webhooks"). A webhook whose definition is
    // unchanged goes on as it was; a changed one (same name) is replaced and its successor takes
    // over its events; a new one takes back what its store queue holds; a removed one stops and
    // its events are deleted. A ca_file that does not load throws config::ConfigError and changes
    // nothing. Logs what changed.
    void reload(const std::vector<config::WebhookOptions>& webhooks);

    std::vector<WebhookStats> stats() const;
    // GET /api/v1/webhooks: each webhook's url and events (not its secret or headers) and its stats.
    nlohmann::json list_json() const;
    // GET /api/v1/webhooks/{name}/failed: the events it gave up, newest first; nullopt: no such webhook.
    std::optional<nlohmann::json> failed_json(std::string_view name) const;

    using Hooks = std::vector<std::shared_ptr<Webhook>>;
    // The current list, shared with the event listener and the broker subscription, which may
    // run once more after they are removed (and so hold this, not the service).
    struct Current {
        mutable std::mutex mutex;               // guards hooks
        std::shared_ptr<const Hooks> hooks = std::make_shared<const Hooks>();
        std::shared_ptr<const Hooks> get() const;
    };

private:
    // New webhooks for `options`, TLS contexts loaded (throws config::ConfigError).
    Hooks make(const std::vector<const config::WebhookOptions*>& options, const std::vector<std::size_t>& index);
    // Subscribes the broker's messages while some webhook wants message.publish.
    void track_messages(const Hooks& hooks);

    mqtt::Broker& broker_;
    events::EventLog& log_;
    std::shared_ptr<store::Store> store_;
    boost::asio::io_context& io_;
    const std::shared_ptr<Current> current_ = std::make_shared<Current>();
    std::uint64_t listener_ = 0;
    std::uint64_t subscription_ = 0;  // message.publish: every topic; each webhook's topics are matched in the callback
};

}  // namespace mqgate::webhooks
