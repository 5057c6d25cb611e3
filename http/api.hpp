// The REST API's routes (issue 3): publish, clients, subscriptions, retained,
// events, stats, metrics, health and the OpenAPI document. Handlers call the
// broker's narrow API synchronously; it is thread-safe and does not block on
// I/O.
#pragma once

#include <functional>

#include "http/options.hpp"

namespace mqgate::mqtt {
class Broker;
}
namespace mqgate::events {
class EventLog;
}
namespace mqgate::control {
class RequestService;
class CommandService;
}

namespace mqgate::http {

class Router;

struct ApiContext {
    mqtt::Broker& broker;
    events::EventLog& events;
    std::function<bool()> ready;  // /readyz: listeners up and not shutting down
    OpenListeners open_listeners;  // /api/v1/stats; null = none
    control::RequestService* requests = nullptr;  // /api/v1/requests (outlives the router); null: it answers 503
    control::CommandService* commands = nullptr;  // /api/v1/commands (outlives the router); null: they answer 503
    const webhooks::WebhookService* webhooks = nullptr;  // /api/v1/webhooks, stats (outlives the router); null = none
    const bridge::BridgeService* bridges = nullptr;      // /api/v1/bridges, metrics (outlives the router); null = none
};

// Everything below; the context's references must outlive the router.
void add_api_routes(Router& router, const ApiContext& context);

void add_publish_routes(Router& router, const ApiContext& context);
void add_client_routes(Router& router, const ApiContext& context);
void add_retained_routes(Router& router, const ApiContext& context);
void add_event_routes(Router& router, const ApiContext& context);
void add_status_routes(Router& router, const ApiContext& context);
void add_request_routes(Router& router, const ApiContext& context);
void add_command_routes(Router& router, const ApiContext& context);
void add_webhook_routes(Router& router, const ApiContext& context);
void add_bridge_routes(Router& router, const ApiContext& context);
// /mqtt, /api/v1/stream, /api/v1/stream/sse (served by Streams; see api_streams.cpp).
void add_stream_routes(Router& router, const ApiContext& context);

}  // namespace mqgate::http
