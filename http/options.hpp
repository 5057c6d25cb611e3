// What one HTTP server is configured with. Plain data; the gateway fills it
// from config's HttpOptions and http listener entries.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <memory>
#include <vector>

namespace mqgate::net {
class TlsContext;
}
namespace mqgate::control {
class RequestService;
class CommandService;
}

namespace mqgate::webhooks {
class WebhookService;
}

namespace mqgate::bridge {
class BridgeService;
}

namespace mqgate::http {

// A listener reachable beyond the loopback interface and what it lets anyone
// do without credentials (slugs "anonymous_mqtt", "http_api").
struct OpenListener {
    std::string kind;     // mqtt, mqtts, http, https
    std::string address;  // as announced: "0.0.0.0:1883", "[::]:8080"
    std::vector<std::string> open;
};
// Asked on each /api/v1/stats: users and tokens can change on SIGHUP.
using OpenListeners = std::function<std::vector<OpenListener>()>;

struct ServerOptions {
    std::string bind = "0.0.0.0";
    std::uint16_t port = 8080;  // 0: any free port (see Server::port())
    std::size_t max_header_size = 8192;
    std::size_t max_body_size = 1 << 20;
    std::chrono::milliseconds header_timeout{10'000};
    std::chrono::milliseconds body_timeout{30'000};
    std::chrono::milliseconds idle_timeout{60'000};
    std::size_t max_pipelined = 8;
    std::vector<std::string> cors_origins;  // empty: CORS off; "*" allows any origin
    std::shared_ptr<const net::TlsContext> tls;  // https: every connection starts with a TLS handshake; null = http
    OpenListeners open_listeners;                // /api/v1/stats "open_access"; null = none
    control::RequestService* requests = nullptr;  // POST /api/v1/requests (outlives the server); null = 503
    control::CommandService* commands = nullptr;  // /api/v1/commands (outlives the server); null = 503
    const webhooks::WebhookService* webhooks = nullptr;  // /api/v1/webhooks, stats (outlives the server); null = none
    const bridge::BridgeService* bridges = nullptr;      // /api/v1/bridges, metrics (outlives the server); null = none
};

}  // namespace mqgate::http
