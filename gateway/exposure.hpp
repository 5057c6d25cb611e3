// What mqgate opens to other machines: which bound listeners are beyond the
// loopback interface and what each lets anyone do without credentials.
// Start-up logs it and /api/v1/stats reports it ("open_access").
#pragma once

#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "http/options.hpp"

namespace mqgate::gateway {

struct BoundListener {
    std::string kind;  // mqtt, mqtts, http, https
    boost::asio::ip::tcp::endpoint endpoint;
    bool client_cert_required = false;  // TLS handshake needs a valid client certificate: nobody is anonymous
};

// "127.0.0.1:1883", "[::1]:1883": as the "listening" lines print it.
std::string endpoint_text(const boost::asio::ip::tcp::endpoint& endpoint);

// anonymous_mqtt: auth.allow_anonymous (MQTT on mqtt/mqtts, and over /mqtt on
// http/https); http_open: no users and no tokens, so the API needs no credentials.
std::vector<http::OpenListener> open_listeners(const std::vector<BoundListener>& bound, bool anonymous_mqtt,
                                               bool http_open);

// Start-up: one line saying so when every listener is on loopback, else one
// warning per listener that open_listeners() names.
void log_exposure(const std::vector<BoundListener>& bound, bool anonymous_mqtt, bool http_open);

}  // namespace mqgate::gateway
