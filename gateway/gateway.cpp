#include "gateway/gateway.hpp"

#include <iostream>

#include <boost/asio/post.hpp>

#include "events/event_sys.hpp"
#include "gateway/bind_listener.hpp"
#include "gateway/exposure.hpp"
#include "gateway/storage.hpp"
#include "mqtt/net/tcp_connection.hpp"
#include "support/log.hpp"

namespace mqgate::gateway {

namespace asio = boost::asio;

namespace {

// Connections get this long to flush and close on SIGTERM before the I/O
// threads are stopped under them.
constexpr std::chrono::seconds shutdown_grace{2};

}  // namespace

// Start accepting and announce each listener. Tests and scripts parse these lines: keep the format.
void Gateway::start_listeners(const char* kind, const TcpListeners& mqtt) {
    for (const auto& l : mqtt) {
        l->start();
        std::cout << "listening " << kind << ' ' << endpoint_text(l->local_endpoint()) << std::endl;
    }
}

void Gateway::start_servers(const char* kind, const HttpServers& http, bool loading) {
    for (const auto& s : http) {
        s->set_loading(loading);
        s->start();
        std::cout << "listening " << kind << ' ' << s->local_address() << std::endl;
    }
}

void Gateway::load_state() {
    // The HTTP servers answer their probes meanwhile (/readyz 503); MQTT clients wait in the backlog.
    start_servers("http", http_servers_, true);
    start_servers("https", https_servers_, true);
    pool_.run();
    try {
        broker_->load();
    } catch (...) {
        pool_.stop();
        pool_.join();
        throw;
    }
    for (const auto& s : http_servers_) s->set_loading(false);
    for (const auto& s : https_servers_) s->set_loading(false);
}

void Gateway::stop_listeners(const TcpListeners& mqtt, const HttpServers& http) {
    for (const auto& l : mqtt) l->stop();
    for (const auto& s : http) s->stop();
}

Gateway::Gateway(config::Config config, std::string version)
    : config_(std::move(config)),
      pool_(config_.threads),
      events_(config_.http.events_buffer),
      auth_(std::make_shared<config::GatewayAuthorizer>(config::load_auth_state(config_.auth), config::verify_password,
                                                        config::login_options(config_.auth))),
      http_auth_(std::make_shared<http::HttpAuth>(auth_)),
      store_(open_storage(config_.storage)),
      broker_(std::make_unique<mqtt::Broker>(config_.broker_options(std::move(version)), auth_, nullptr, nullptr,
                                             nullptr, store_)),
      requests_(std::make_unique<control::RequestService>(
          *broker_, pool_.at(0).get_executor(),
          control::RequestLimits{std::chrono::milliseconds(config_.requests.max_timeout_ms),
                                 config_.requests.max_pending, config_.requests.max_targets})),
      commands_(std::make_unique<control::CommandService>(
          *broker_, pool_.at(0).get_executor(), store_,
          control::CommandLimits{config_.commands.max_pending, config_.commands.max_ttl_s},
          [this](const mqtt::Event& e) { events_.record(e); })),
      webhooks_(std::make_unique<webhooks::WebhookService>(config_.webhooks, *broker_, events_, store_, pool_.at(0))),
      bridges_(std::make_unique<bridge::BridgeService>(config_, *broker_, pool_, store_, auth_)),
      mqtt_connections_(std::make_shared<net::ConnectionCounter>(config_.mqtt.max_connections)),
      tick_timer_(pool_.at(0)),
      shutdown_timer_(pool_.at(0)),
      signals_(pool_.at(0)) {
    broker_->observe([this](const mqtt::Event& e) { events_.record(e); });
    // One I/O thread runs each commit's releases in commit order (one context, one thread).
    broker_->dispatch_commits([&io = pool_.at(0)](std::function<void()> job) { asio::post(io, std::move(job)); });
    events::publish_sys_events(*broker_, config_.node_name);
}

// The verifier threads answer into the broker and post to the I/O threads'
// contexts: they stop before either is gone.
Gateway::~Gateway() {
    auth_->stop_verifying();
    // Handlers still queued when the I/O threads ended (a command service's resume, a bridge's read) run
    // now, while the services and the broker they touch are alive, not in the pool's destructor after them.
    pool_.stop();
    pool_.join();
    pool_.drain();
}

void Gateway::bind_listeners() {
    net::ConnectionOptions options;
    options.connect_timeout = config_.mqtt.connect_timeout;
    options.write_timeout = config_.mqtt.write_timeout;
    options.protocol = "mqtt";
    options.max_publish_rate = config_.mqtt.max_publish_rate;
    for (const auto& l : config_.listeners.mqtt) {
        auto on_accept = [broker = broker_.get(), options](asio::ip::tcp::socket socket, net::ConnectionSlot slot) {
            net::TcpConnection::start(net::RawTcpStream(std::move(socket)), *broker, options, std::move(slot));
        };
        bind_listener("mqtt", l, false, [&](const std::string& address, std::uint16_t port) {
            return mqtt_listeners_
                .emplace_back(std::make_shared<net::TcpListener>(pool_.at(0), pool_, address, port,
                                                                 mqtt_connections_, on_accept))
                ->port();
        }, bound_);
    }
    const auto& h = config_.http;
    http::StreamOptions stream_options;
    stream_options.ws_max_message_size = h.ws_max_message_size;
    stream_options.ws_send_queue_bytes = h.ws_send_queue_bytes;
    stream_options.ws_send_queue_frames = h.ws_send_queue_frames;
    stream_options.compression = h.stream_compression;
    stream_options.compression_level = h.stream_compression_level;
    stream_options.ws_idle_timeout = h.idle_timeout;
    stream_options.mqtt_connect_timeout = config_.mqtt.connect_timeout;
    stream_options.mqtt_write_timeout = config_.mqtt.write_timeout;
    stream_options.cors_origins = h.cors_origins;
    stream_options.allowed_origins = h.allowed_origins;
    stream_options.mqtt_max_publish_rate = config_.mqtt.max_publish_rate;
    stream_options.requests = requests_.get();
    stream_options.authenticate = [auth = http_auth_](std::string_view authorization, std::string_view access_token,
                                                      bool script_request) {
        return auth->admit_stream(authorization, access_token, script_request);
    };
    streams_ = std::make_shared<http::Streams>(*broker_, events_, std::move(stream_options), mqtt_connections_);
    for (const auto& l : config_.listeners.http) {
        bind_listener("http", l, false, [&](const std::string& address, std::uint16_t port) {
            return bind_http(http_servers_, http_server_options(address, port));
        }, bound_);
    }
    bind_tls_listeners();
}

std::uint16_t Gateway::bind_http(HttpServers& servers, http::ServerOptions options) {
    auto& server = *servers.emplace_back(std::make_unique<http::Server>(pool_, *broker_, events_, std::move(options)));
    serve_http(server);
    return server.port();
}

http::ServerOptions Gateway::http_server_options(const std::string& address, std::uint16_t port) const {
    const auto& h = config_.http;
    // Listeners are all bound before the first request, and bound_ outlives the servers.
    auto open = [this] { return open_listeners(bound_, config_.auth.allow_anonymous, auth_->state()->http_open()); };
    return http::ServerOptions{address,          port,           h.max_header_size, h.max_body_size,
                               h.header_timeout, h.body_timeout, h.idle_timeout,    h.max_pipelined,
                               h.cors_origins,   nullptr,        std::move(open),   requests_.get(),
                               commands_.get(),  webhooks_.get(),  bridges_.get()};
}

// What every http and https listener serves besides the REST routes.
void Gateway::serve_http(http::Server& server) {
    server.set_streams(streams_);
    server.router().set_authorizer(
        [auth = http_auth_](const http::Request& request, const std::string& route, http::Caller& caller) {
            return auth->check(request, route, caller);
        });
    server.router().set_verifier([auth = http_auth_](const http::Request& request,
                                                     std::function<void(http::CheckResult)> done) {
        return auth->verify(request, std::move(done));
    });
}

int Gateway::run() {
    if (!config_.auth.acl_file.empty() && config_.auth.password_file.empty())
        LOG_WARN("an ACL file is set without a password file: MQTT usernames are not verified");
    bind_listeners();
    log_exposure(bound_, config_.auth.allow_anonymous, auth_->state()->http_open());
    load_state();
    start_listeners("mqtt", mqtt_listeners_);
    start_listeners("mqtts", mqtts_listeners_);
    // Signals are caught before "ready" is announced, so a SIGTERM sent the
    // moment a supervisor sees "ready" still shuts down gracefully.
    signals_.add(SIGINT);
    signals_.add(SIGTERM);
    signals_.add(SIGHUP);
    wait_for_signal();
    std::cout << "ready" << std::endl;
    LOG_INFO("node " << config_.node_name << " running on " << pool_.size() << " I/O thread(s)");
    schedule_tick();
    commands_->resume();
    bridges_->start();
    pool_.join();
    auth_->stop_verifying();
    if (store_) store_->close();  // commits what the last operations wrote
    LOG_INFO("stopped");
    return 0;
}

void Gateway::schedule_tick() {
    tick_timer_.expires_after(config_.mqtt.sys_interval);
    tick_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopping_) return;
        broker_->tick();
        schedule_tick();
    });
}

void Gateway::wait_for_signal() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        if (signal == SIGHUP) {
            reload();
        } else if (stopping_) {
            LOG_WARN("second signal: stopping now");
            pool_.stop();
            return;
        } else {
            LOG_INFO("signal " << signal << ": shutting down");
            begin_shutdown();
        }
        wait_for_signal();
    });
}

void Gateway::begin_shutdown() {
    stopping_ = true;
    stop_listeners(mqtt_listeners_, http_servers_);
    stop_listeners(mqtts_listeners_, https_servers_);
    if (streams_) streams_->close_all();
    tick_timer_.cancel();
    bridges_->stop();
    broker_->shutdown();
    await_connections_closed(std::chrono::steady_clock::now() + shutdown_grace);
}

void Gateway::await_connections_closed(std::chrono::steady_clock::time_point deadline) {
    const std::size_t live = mqtt_connections_->live();
    if (live == 0 || std::chrono::steady_clock::now() >= deadline) {
        if (live != 0) LOG_WARN(live << " connection(s) still open after " << shutdown_grace.count() << " s");
        signals_.cancel();
        pool_.stop();
        return;
    }
    shutdown_timer_.expires_after(std::chrono::milliseconds(20));
    shutdown_timer_.async_wait([this, deadline](const boost::system::error_code& ec) {
        if (!ec) await_connections_closed(deadline);
    });
}

}  // namespace mqgate::gateway
