// The HTTP/1.1 server: one listener, sessions spread over the gateway's
// io_contexts like MQTT connections. Beast stays out of this header so the
// gateway compiles without it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "http/options.hpp"

namespace mqgate::mqtt {
class Broker;
}
namespace mqgate::events {
class EventLog;
}
namespace mqgate::net {
class IoPool;
}

namespace mqgate::http {

class Router;
class Streams;

class Server {
public:
    // Binds and listens (throws std::system_error if it cannot: start-up).
    // Connections wait in the backlog until start(). `broker` and `events`
    // must outlive the pool's threads.
    Server(net::IoPool& pool, mqtt::Broker& broker, events::EventLog& events, ServerOptions options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    std::uint16_t port() const noexcept;
    // "127.0.0.1:8080"
    std::string local_address() const;

    // The routes served; add routes or an authorizer before start().
    Router& router() noexcept;

    // Serves /mqtt, /api/v1/stream and /api/v1/stream/sse; call before start().
    void set_streams(std::shared_ptr<const Streams> streams);

    // Accepts on the pool's contexts, round-robin.
    void start();

    // /readyz answers 503 once this is false (set before a graceful stop).
    void set_ready(bool ready) noexcept;

    // While the broker loads its stored state: /healthz answers, /readyz says 503 not_ready, and every
    // other request 503 starting without reaching the broker. Set before start().
    void set_loading(bool loading) noexcept;

    // Stops accepting and closes every session. Thread-safe, idempotent.
    void stop();

private:
    struct Shared;
    std::shared_ptr<Shared> shared_;
};

}  // namespace mqgate::http
