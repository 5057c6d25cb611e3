// The TLS listeners (mqtts, https) and their certificate reload on SIGHUP.
#include "gateway/bind_listener.hpp"
#include "gateway/gateway.hpp"
#include "mqtt/net/tls_connection.hpp"
#include "support/log.hpp"

namespace mqgate::gateway {

namespace asio = boost::asio;

namespace {

// A listener's files are part of the configuration: a bad one stops start-up
// as a config error naming its key (exit code 2).
std::shared_ptr<net::TlsContext> tls_context(const config::Config& config, const config::TlsListener& l,
                                             const std::string& name) {
    net::TlsSettings settings;
    settings.name = name;
    settings.cert = l.cert;
    settings.key = l.key;
    settings.ca = l.ca;
    settings.require_client_cert = l.require_client_cert;
    settings.handshake_timeout = l.handshake_timeout;
    try {
        return std::make_shared<net::TlsContext>(std::move(settings));
    } catch (const net::TlsError& e) {
        throw config::ConfigError(config.file.empty() ? "configuration" : config.file, name + "." + e.field(),
                                  e.reason());
    }
}

// The config key of a TLS listener, as errors name it: "listeners.mqtts[0]".
std::string listener_key(const char* kind, std::size_t index) {
    return std::string("listeners.") + kind + "[" + std::to_string(index) + "]";
}

}  // namespace

void check_tls_files(const config::Config& config) {
    for (std::size_t i = 0; i < config.listeners.mqtts.size(); ++i) {
        tls_context(config, config.listeners.mqtts[i], listener_key("mqtts", i));
    }
    for (std::size_t i = 0; i < config.listeners.https.size(); ++i) {
        tls_context(config, config.listeners.https[i], listener_key("https", i));
    }
    const std::string source = config.file.empty() ? "configuration" : config.file;
    for (std::size_t i = 0; i < config.bridges.size(); ++i)
        if (config.bridges[i].tls) bridge::client_tls_context(config.bridges[i], i, source);
}

void Gateway::bind_tls_listeners() {
    net::ConnectionOptions options;
    options.connect_timeout = config_.mqtt.connect_timeout;
    options.write_timeout = config_.mqtt.write_timeout;
    options.protocol = "mqtts";
    options.max_publish_rate = config_.mqtt.max_publish_rate;
    for (std::size_t i = 0; i < config_.listeners.mqtts.size(); ++i) {
        const auto& l = config_.listeners.mqtts[i];
        std::shared_ptr<const net::TlsContext> tls =
            tls_contexts_.emplace_back(tls_context(config_, l, listener_key("mqtts", i)));
        auto on_accept = [broker = broker_.get(), options, tls](asio::ip::tcp::socket socket, net::ConnectionSlot slot) {
            net::start_tls_connection(std::move(socket), std::move(slot), tls, *broker, options);
        };
        bind_listener("mqtts", l, l.require_client_cert, [&](const std::string& address, std::uint16_t port) {
            return mqtts_listeners_
                .emplace_back(std::make_shared<net::TcpListener>(pool_.at(0), pool_, address, port,
                                                                 mqtt_connections_, on_accept))
                ->port();
        }, bound_);
    }
    for (std::size_t i = 0; i < config_.listeners.https.size(); ++i) {
        const auto& l = config_.listeners.https[i];
        auto tls = tls_contexts_.emplace_back(tls_context(config_, l, listener_key("https", i)));
        bind_listener("https", l, l.require_client_cert, [&](const std::string& address, std::uint16_t port) {
            auto options = http_server_options(address, port);
            options.tls = tls;
            return bind_http(https_servers_, std::move(options));
        }, bound_);
    }
}

void Gateway::reload_tls() {
    // The files are read again, the listener settings are those of start-up.
    for (const auto& tls : tls_contexts_) {
        const auto& s = tls->settings();
        try {
            tls->reload();
            LOG_INFO(s.name << ": reloaded certificate " << s.cert);
        } catch (const net::TlsError& e) {
            LOG_ERROR(s.name << '.' << e.field() << ": " << e.reason() << "; keeping the previous certificate");
        }
    }
}

}  // namespace mqgate::gateway
