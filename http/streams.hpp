// The HTTP listener's long-lived endpoints, which take a request's
// connection away from the HTTP session: MQTT over WebSocket (/mqtt), the
// JSON stream over WebSocket (/api/v1/stream) and over Server-Sent Events
// (/api/v1/stream/sse). Beast stays out of this header (see server.hpp).
#pragma once

#include <chrono>
#include <functional>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "http/router.hpp"

namespace mqgate::mqtt {
class Broker;
}
namespace mqgate::events {
class EventLog;
}
namespace mqgate::net {
class ConnectionCounter;
}
namespace mqgate::control {
class RequestService;
}

namespace mqgate::http {

struct StreamOptions {
    std::size_t ws_max_message_size = 65536;        // JSON stream: bytes per incoming message
    std::size_t ws_send_queue_bytes = 1 << 20;      // JSON stream/SSE: over -> closed (1008)
    std::size_t ws_send_queue_frames = 1000;        // JSON stream/SSE: over -> closed (1008)
    bool compression = false;                       // JSON stream/SSE: deflate / gzip when the client offers it
    int compression_level = 1;                      // zlib's 1..9
    std::chrono::milliseconds ws_idle_timeout{60'000};  // no frame from the peer: ping at half, close at full
    std::chrono::milliseconds sse_keepalive{15'000};    // ": keepalive" comment period
    std::chrono::milliseconds close_grace{10'000};      // a closing stream stuck behind a stalled write is cut
    std::chrono::seconds mqtt_connect_timeout{10};      // /mqtt: as for MQTT over TCP
    std::chrono::seconds mqtt_write_timeout{30};
    std::uint32_t mqtt_max_publish_rate = 0;            // /mqtt: as for MQTT over TCP
    std::vector<std::string> cors_origins;              // SSE: Access-Control-Allow-Origin ("*" = any)
    std::vector<std::string> allowed_origins;           // WebSocket upgrades: allowed Origin ("*" = any); empty = any
    // Who opens a JSON stream or SSE (the Authorization header, else the
    // access_token query value): the caller, or the 401/403 answer. Null:
    // open to anyone.
    std::function<std::variant<Caller, Response>(std::string_view authorization, std::string_view access_token,
                                                 bool script_request)>
        authenticate;
    control::RequestService* requests = nullptr;        // JSON stream "request" op; null: refused. Outlives the streams

};

class Streams {
public:
    // `mqtt_connections` (may be null) counts /mqtt connections with the TCP
    // ones: the same maximum, and the gateway waits for them at shutdown.
    Streams(mqtt::Broker& broker, events::EventLog& events, StreamOptions options,
            std::shared_ptr<net::ConnectionCounter> mqtt_connections);
    ~Streams();
    Streams(const Streams&) = delete;
    Streams& operator=(const Streams&) = delete;

    // Is `target` (path and query) one of the endpoints above?
    static bool serves(std::string_view target);

    // Closes every JSON stream and SSE response (1001 going away). /mqtt
    // connections are the broker's and close with Broker::shutdown().
    // Thread-safe.
    void close_all();

    struct Shared;
    const std::shared_ptr<Shared>& shared() const noexcept { return shared_; }

private:
    std::shared_ptr<Shared> shared_;
};

}  // namespace mqgate::http
