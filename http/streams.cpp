#include "http/streams.hpp"

#include <algorithm>
#include <mutex>
#include <utility>

#include <boost/asio/write.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "events/event_payload.hpp"
#include "http/router.hpp"
#include "http/sse_stream.hpp"
#include "http/stream_admission.hpp"
#include "http/stream_hub.hpp"
#include "http/stream_upgrade.hpp"
#include "http/ws_mqtt.hpp"
#include "http/ws_stream.hpp"
#include "net/connection_counter.hpp"

namespace mqgate::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;

constexpr std::string_view mqtt_path = "/mqtt";
constexpr std::string_view stream_path = "/api/v1/stream";
constexpr std::string_view sse_path = "/api/v1/stream/sse";

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

// RFC 6455 4.2.1: the key is base64 of 16 bytes, i.e. 24 characters.
bool valid_websocket_key(std::string_view key) {
    if (key.size() != 24) return false;
    const auto bytes = payload::base64_decode(key);
    return bytes && bytes->size() == 16;
}

}  // namespace

struct Streams::Shared {
    Shared(mqtt::Broker& b, events::EventLog& e, StreamOptions o, std::shared_ptr<net::ConnectionCounter> c)
        : broker(b), hub(std::make_shared<StreamHub>(b)), events(e), options(std::move(o)),
          mqtt_connections(std::move(c)) {}

    void remember(const std::shared_ptr<StreamTransport>& stream) {
        std::unique_lock lock(mutex);
        if (closed) {
            // close_all() ran while this stream was being set up.
            lock.unlock();
            stream->shutdown();
            return;
        }
        // Prune only when the list doubled, so the cost stays amortised O(1).
        if (live.size() >= prune_at) {
            std::erase_if(live, [](const std::weak_ptr<StreamTransport>& w) { return w.expired(); });
            prune_at = std::max<std::size_t>(64, live.size() * 2);
        }
        live.push_back(stream);
    }

    mqtt::Broker& broker;
    const std::shared_ptr<StreamHub> hub;  // the streams' broker subscriptions
    events::EventLog& events;
    const StreamOptions options;
    const std::shared_ptr<net::ConnectionCounter> mqtt_connections;
    std::mutex mutex;
    std::vector<std::weak_ptr<StreamTransport>> live;
    std::size_t prune_at = 64;
    bool closed = false;  // under mutex: streams arriving after close_all() are refused
};

Streams::Streams(mqtt::Broker& broker, events::EventLog& events, StreamOptions options,
                 std::shared_ptr<net::ConnectionCounter> mqtt_connections)
    : shared_(std::make_shared<Shared>(broker, events, std::move(options), std::move(mqtt_connections))) {}

Streams::~Streams() = default;

bool Streams::serves(std::string_view target) {
    const auto path = path_of(target);
    return path == mqtt_path || path == stream_path || path == sse_path;
}

void Streams::close_all() {
    std::vector<std::weak_ptr<StreamTransport>> live;
    {
        std::lock_guard lock(shared_->mutex);
        shared_->closed = true;
        live.swap(shared_->live);
    }
    for (const auto& weak : live) {
        if (auto stream = weak.lock()) stream->shutdown();
    }
}

void take_over(const Streams& streams, net::FlexStream connection, StreamRequest request) {
    auto& s = *streams.shared();
    {
        std::lock_guard lock(s.mutex);
        if (s.closed) return refuse(std::move(connection), 503, "shutting_down", "the server is shutting down");
    }
    const std::string_view target(request.target().data(), request.target().size());
    const auto path = path_of(target);
    Caller caller;
    if (auto refusal = admit_stream(s.options, path, request, caller)) return refuse(std::move(connection), *refusal);
    if (path != sse_path && websocket::is_upgrade(request) &&
        !valid_websocket_key(request[bhttp::field::sec_websocket_key]))
        return refuse(std::move(connection), 400, "invalid_websocket_key",
                      "Sec-WebSocket-Key must be 16 bytes in base64 (24 characters)");
    if (path == mqtt_path)
        return accept_mqtt_ws(std::move(connection), std::move(request), s.broker, s.options, s.mqtt_connections);
    if (path == stream_path) {
        return start_ws_stream(std::move(connection), std::move(request), s.hub, s.events, s.options,
                               std::move(caller), [shared = streams.shared()](const auto& stream) {
                                   if (stream) shared->remember(stream);
                               });
    }
    if (auto stream = start_sse_stream(std::move(connection), std::move(request), s.hub, s.events, s.options))
        s.remember(stream);
}

void refuse(net::FlexStream stream, int status, std::string_view code, std::string_view message) {
    refuse(std::move(stream), error_response(status, code, message));
}

void refuse(net::FlexStream stream, const Response& r) {
    const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(r.status));
    std::string bytes = "HTTP/1.1 " + std::to_string(r.status) + " " + std::string(reason.data(), reason.size()) +
                        "\r\nServer: mqgate\r\nContent-Type: " + r.content_type + "\r\nContent-Length: " +
                        std::to_string(r.body.size()) + "\r\nConnection: close\r\n";
    for (const auto& [name, value] : r.headers) bytes += name + ": " + value + "\r\n";
    bytes += "\r\n" + r.body;
    send_and_close(std::move(stream), std::move(bytes));
}

void send_and_close(net::FlexStream stream, std::string text) {
    auto bytes = std::make_shared<std::string>(std::move(text));
    auto s = std::make_shared<net::FlexStream>(std::move(stream));
    asio::async_write(*s, asio::buffer(*bytes), [s, bytes](boost::system::error_code, std::size_t) {
        auto& socket = s->next_layer().socket();
        boost::system::error_code ignored;
        socket.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
        socket.close(ignored);
    });
}

std::string allowed_origin(const std::vector<std::string>& allowed, std::string_view origin) {
    if (origin.empty()) return {};
    for (const auto& a : allowed) {
        if (a == "*") return "*";
        if (a == origin) return std::string(origin);
    }
    return {};
}

}  // namespace mqgate::http
