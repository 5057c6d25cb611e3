#include "http/ws_mqtt.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "mqtt/broker.hpp"
#include "mqtt/net/transport.hpp"
#include "net/connection_counter.hpp"
#include "support/log.hpp"

namespace mqgate::http {
namespace {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// The first of the client's offered subprotocols that is MQTT, in its order.
std::optional<std::string> pick_subprotocol(std::string_view offered) {
    while (!offered.empty()) {
        const auto comma = offered.find(',');
        const auto token = trim(offered.substr(0, comma));
        if (token == "mqtt" || token == "mqttv3.1") return std::string(token);
        if (comma == std::string_view::npos) break;
        offered.remove_prefix(comma + 1);
    }
    return std::nullopt;
}

}  // namespace

void accept_mqtt_ws(net::FlexStream stream, StreamRequest request, mqtt::Broker& broker,
                    const StreamOptions& options, const std::shared_ptr<net::ConnectionCounter>& counter) {
    if (!websocket::is_upgrade(request))
        return refuse(std::move(stream), 426, "upgrade_required", "/mqtt is MQTT over WebSocket: send an upgrade");
    // Several Sec-WebSocket-Protocol lines count as one comma-separated list.
    std::string offered;
    const auto [first, last] = request.equal_range(beast::http::field::sec_websocket_protocol);
    for (auto it = first; it != last; ++it) {
        if (!offered.empty()) offered += ',';
        offered.append(it->value().data(), it->value().size());
    }
    auto subprotocol = pick_subprotocol(offered);
    if (!subprotocol)
        return refuse(std::move(stream), 400, "invalid_subprotocol",
                      "Sec-WebSocket-Protocol must offer \"mqtt\" or \"mqttv3.1\"");
    net::ConnectionSlot slot;
    if (counter) {
        slot = counter->try_acquire();
        if (!slot) return refuse(std::move(stream), 503, "too_many_connections", "the MQTT connection limit is reached");
    }

    net::ConnectionOptions conn;
    conn.connect_timeout = options.mqtt_connect_timeout;
    conn.write_timeout = options.mqtt_write_timeout;
    conn.max_publish_rate = options.mqtt_max_publish_rate;
    conn.protocol = stream.is_tls() ? "mqtt-wss" : "mqtt-ws";
    conn.tls_common_name = stream.tls_common_name;
    auto ws = std::make_shared<net::MqttWebSocket>(std::move(stream));
    // The WebSocket's own timers take over from the HTTP session's.
    beast::get_lowest_layer(*ws).expires_never();
    auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
    timeouts.handshake_timeout = options.mqtt_connect_timeout;
    timeouts.idle_timeout = options.ws_idle_timeout;
    timeouts.keep_alive_pings = true;
    ws->set_option(timeouts);
    websocket::permessage_deflate no_deflate;
    no_deflate.server_enable = false;
    ws->set_option(no_deflate);
    ws->read_message_max(broker.limits().max_packet_size);
    ws->binary(true);
    ws->auto_fragment(false);
    ws->set_option(websocket::stream_base::decorator([subprotocol = *subprotocol](websocket::response_type& res) {
        res.set(beast::http::field::server, "mqgate");
        res.set(beast::http::field::sec_websocket_protocol, subprotocol);
    }));
    auto* raw = ws.get();
    raw->async_accept(request, [ws = std::move(ws), &broker, conn = std::move(conn), slot = std::move(slot)](beast::error_code ec) mutable {
        if (ec) {
            LOG_DEBUG(conn.protocol << ": handshake failed: " << ec.message());
            return;
        }
        net::start_ws_connection(std::move(*ws), broker, conn, std::move(slot));
    });
}

}  // namespace mqgate::http
