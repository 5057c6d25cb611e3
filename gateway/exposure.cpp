#include "gateway/exposure.hpp"

#include <algorithm>

#include "support/log.hpp"

namespace mqgate::gateway {

namespace {

bool is_http(const std::string& kind) { return kind == "http" || kind == "https"; }

// What an open slug means to an operator reading the log, and how to close it.
std::string describe(const std::string& open, const std::string& kind) {
    if (open == "http_api")
        return "the HTTP API without credentials (anyone can publish, kick clients, delete retained messages and "
               "read every message; add a password file or API tokens)";
    return std::string(is_http(kind) ? "anonymous MQTT over /mqtt" : "anonymous MQTT") +
           " (anyone can connect, publish and subscribe; set auth.allow_anonymous to false)";
}

}  // namespace

std::string endpoint_text(const boost::asio::ip::tcp::endpoint& endpoint) {
    const auto address = endpoint.address();
    const auto text = address.to_string();
    return (address.is_v6() ? "[" + text + "]" : text) + ":" + std::to_string(endpoint.port());
}

std::vector<http::OpenListener> open_listeners(const std::vector<BoundListener>& bound, bool anonymous_mqtt,
                                               bool http_open) {
    std::vector<http::OpenListener> out;
    for (const auto& l : bound) {
        if (l.endpoint.address().is_loopback() || l.client_cert_required) continue;
        http::OpenListener o{l.kind, endpoint_text(l.endpoint), {}};
        if (is_http(l.kind) && http_open) o.open.emplace_back("http_api");
        if (anonymous_mqtt) o.open.emplace_back("anonymous_mqtt");
        if (!o.open.empty()) out.push_back(std::move(o));
    }
    return out;
}

void log_exposure(const std::vector<BoundListener>& bound, bool anonymous_mqtt, bool http_open) {
    const bool loopback_only =
        std::all_of(bound.begin(), bound.end(), [](const auto& l) { return l.endpoint.address().is_loopback(); });
    if (loopback_only) {
        LOG_INFO("listening on loopback only: other machines cannot connect. To open mqgate to the network: "
                 "--bind 0.0.0.0, or listeners in the config together with a password file or API tokens");
        return;
    }
    for (const auto& l : open_listeners(bound, anonymous_mqtt, http_open)) {
        std::string what;
        for (const auto& open : l.open) what.append(what.empty() ? "" : "; and ").append(describe(open, l.kind));
        LOG_WARN("OPEN ACCESS: " << l.kind << ' ' << l.address << " is reachable from other machines with " << what);
    }
}

}  // namespace mqgate::gateway
