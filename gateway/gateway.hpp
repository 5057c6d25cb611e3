// Wires the parts together: broker, I/O threads, listeners, housekeeping
// timer and signals. main() only parses the command line and runs this.
#pragma once

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bridge/service.hpp"
#include "config/authorizer.hpp"
#include "config/config.hpp"
#include "control/command_service.hpp"
#include "control/request_service.hpp"
#include "events/event_log.hpp"
#include "gateway/exposure.hpp"
#include "http/http_auth.hpp"
#include "http/server.hpp"
#include "http/streams.hpp"
#include "mqtt/broker.hpp"
#include "net/io_pool.hpp"
#include "net/tcp_listener.hpp"
#include "net/tls_context.hpp"
#include "store/store.hpp"
#include "webhooks/service.hpp"

namespace mqgate::gateway {

// --check-config: loads every TLS listener's certificate, key and CA as
// start-up would; throws config::ConfigError naming the key on a bad one.
void check_tls_files(const config::Config& config);

class Gateway {
public:
    Gateway(config::Config config, std::string version);
    ~Gateway();
    Gateway(const Gateway&) = delete;
    Gateway& operator=(const Gateway&) = delete;

    // Binds every listener (throws ListenError naming the one that failed),
    // prints the "listening" lines and "ready" on stdout, and serves until
    // SIGINT/SIGTERM. Returns the process exit code.
    int run();

private:
    void bind_listeners();
    http::ServerOptions http_server_options(const std::string& address, std::uint16_t port) const;
    void serve_http(http::Server& server);
    using TcpListeners = std::vector<std::shared_ptr<net::TcpListener>>;
    using HttpServers = std::vector<std::unique_ptr<http::Server>>;
    // Creates, wires and keeps one http(s) server; returns the port it bound.
    std::uint16_t bind_http(HttpServers& servers, http::ServerOptions options);
    static void start_listeners(const char* kind, const TcpListeners& mqtt);
    static void start_servers(const char* kind, const HttpServers& http, bool loading);
    // Starts the HTTP servers and the I/O threads, then has the broker load the stored state while
    // the servers answer only their health probes.
    void load_state();
    static void stop_listeners(const TcpListeners& mqtt, const HttpServers& http);
    // mqtts and https (gateway_tls.cpp).
    void bind_tls_listeners();
    void reload_tls();
    void schedule_tick();
    void wait_for_signal();
    void begin_shutdown();
    // SIGHUP: everything that reloads without dropping connections.
    void reload();
    void reload_auth();
    void reload_bridges();
    // The webhooks section of the config file, read again (WebhookService::reload).
    void reload_webhooks();
    // The config file read again over the running configuration (keys it no longer has keep
    // their value, except "webhooks" and "bridges", which it replaces whole). Throws ConfigError,
    // runtime_error.
    config::Config reread_config() const;
    void await_connections_closed(std::chrono::steady_clock::time_point deadline);

    config::Config config_;
    std::vector<BoundListener> bound_;  // every socket listening, for the exposure checks
    // Declaration order is destruction order in reverse: the pool's contexts
    // must outlive every timer, socket and listener, and the broker must
    // outlive the I/O threads that call into it.
    net::IoPool pool_;
    events::EventLog events_;
    std::shared_ptr<config::GatewayAuthorizer> auth_;  // users, tokens, ACL: MQTT and HTTP
    std::shared_ptr<http::HttpAuth> http_auth_;
    // Opened (and loaded into the broker) before any listener; closed after
    // the I/O threads stop, once what they wrote is committed.
    std::shared_ptr<store::Store> store_;
    std::unique_ptr<mqtt::Broker> broker_;
    // POST /api/v1/requests. Sessions point at it; they run only on the pool's
    // threads, which have stopped by the time it goes.
    std::unique_ptr<control::RequestService> requests_;
    // /api/v1/commands, on the store (read back here at start-up).
    std::unique_ptr<control::CommandService> commands_;
    // Restores each webhook's outbox from the store, then listens to the
    // events and the broker; its requests run on the pool's first thread.
    std::unique_ptr<webhooks::WebhookService> webhooks_;
    // Upstream brokers: each bridge on one of the pool's threads, started with the listeners.
    std::unique_ptr<bridge::BridgeService> bridges_;
    std::vector<std::unique_ptr<http::Server>> http_servers_;
    std::shared_ptr<http::Streams> streams_;  // /mqtt and the JSON streams of every http listener
    std::shared_ptr<net::ConnectionCounter> mqtt_connections_;
    std::vector<std::shared_ptr<net::TcpListener>> mqtt_listeners_;
    std::vector<std::shared_ptr<net::TlsContext>> tls_contexts_;  // one per mqtts and https listener: SIGHUP reloads them
    std::vector<std::shared_ptr<net::TcpListener>> mqtts_listeners_;
    std::vector<std::unique_ptr<http::Server>> https_servers_;
    boost::asio::steady_timer tick_timer_;
    boost::asio::steady_timer shutdown_timer_;
    boost::asio::signal_set signals_;
    bool stopping_ = false;
};

}  // namespace mqgate::gateway
