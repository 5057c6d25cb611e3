// Every configured webhook, fed from the event log (connection, will and
// subscription events) and from broker subscriptions (message.publish).
#pragma once

#include <cstdint>
#include <memory>
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
    // then listens. Requests run on `io`'s thread. Broker and log must outlive it.
    WebhookService(const std::vector<config::WebhookOptions>& webhooks, mqtt::Broker& broker, events::EventLog& log,
                   std::shared_ptr<store::Store> store, boost::asio::io_context& io);
    ~WebhookService();
    WebhookService(const WebhookService&) = delete;
    WebhookService& operator=(const WebhookService&) = delete;

    std::vector<WebhookStats> stats() const;
    // GET /api/v1/webhooks: each webhook's url and events (not its secret or headers) and its stats.
    nlohmann::json list_json() const;
    // GET /api/v1/webhooks/{name}/failed: the events it gave up, newest first; nullopt: no such webhook.
    std::optional<nlohmann::json> failed_json(std::string_view name) const;

private:
    mqtt::Broker& broker_;
    events::EventLog& log_;
    std::vector<std::shared_ptr<Webhook>> webhooks_;
    std::uint64_t listener_ = 0;
    std::vector<std::uint64_t> subscriptions_;
};

}  // namespace mqgate::webhooks
