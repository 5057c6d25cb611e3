// The WebSocket side of the gateway: MQTT over WebSocket (/mqtt) with the
// fan-in flow, and the JSON stream (/api/v1/stream) fanned out to many
// browser-like clients. Both are skipped when the endpoint does not exist.
#include <unistd.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "bench/flow.hpp"
#include "bench/scenarios.hpp"

namespace mqgate::bench {

namespace {

using namespace std::chrono_literals;
namespace ws = boost::beast::websocket;

// A blocking WebSocket handshake: whether the path upgrades at all.
bool upgrades(const tcp::endpoint& http, const std::string& path, const char* subprotocol) {
    asio::io_context io;
    ws::stream<tcp::socket> s(io);
    boost::system::error_code ec;
    s.next_layer().connect(http, ec);
    if (ec) return false;
    if (subprotocol)
        s.set_option(ws::stream_base::decorator([subprotocol](ws::request_type& req) {
            req.set(boost::beast::http::field::sec_websocket_protocol, subprotocol);
        }));
    s.handshake(http.address().to_string() + ":" + std::to_string(http.port()), path, ec);
    if (ec) return false;
    s.close(ws::close_code::normal, ec);
    return true;
}

// One JSON-stream client: subscribes once, then counts "message" frames.
class StreamClient {
public:
    StreamClient(asio::io_context& io, Flow& flow, std::string filter)
        : io_(io), ws_(io), flow_(flow), filter_(std::move(filter)) {}

    std::atomic<bool> subscribed{false};
    asio::io_context& context() { return io_; }

    void start(const tcp::endpoint& http) {
        ws_.next_layer().async_connect(http, [this, http](const boost::system::error_code& ec) {
            if (ec) return fail("connect", ec);
            ws_.async_handshake(http.address().to_string() + ":" + std::to_string(http.port()), "/api/v1/stream",
                                [this](const boost::system::error_code& ec) {
                                    if (ec) return fail("stream handshake", ec);
                                    ws_.text(true);
                                    request_ = nlohmann::json{{"op", "subscribe"}, {"id", 1}, {"filter", filter_},
                                                              {"qos", 0}}
                                                   .dump();
                                    ws_.async_write(asio::buffer(request_),
                                                    [this](const boost::system::error_code& ec, std::size_t) {
                                                        if (ec) return fail("stream write", ec);
                                                    });
                                    read();
                                });
        });
    }

private:
    void read() {
        ws_.async_read(buffer_, [this](const boost::system::error_code& ec, std::size_t) {
            if (ec) return fail("stream read", ec);
            const auto data = boost::beast::buffers_to_string(buffer_.data());
            buffer_.consume(buffer_.size());
            if (data.find("\"type\":\"message\"") != std::string::npos) {
                flow_.delivered.fetch_add(1);
                if (flow_.waiting.load() && flow_.waiting.exchange(false))
                    asio::post(flow_.publisher->context(), [p = flow_.publisher] { p->pump(); });
            } else if (!subscribed.load()) {
                // The answer to our request carries its id; other frames
                // (a greeting, events) are not ours to judge.
                const auto j = nlohmann::json::parse(data, nullptr, false);
                if (j.is_object() && j.contains("id") && j["id"] == 1) {
                    if (j.contains("error")) errors().record("stream subscribe answered " + data);
                    else subscribed.store(true);
                }
            }
            read();
        });
    }
    void fail(const char* where, const boost::system::error_code& ec) {
        errors().record(std::string(where) + ": " + ec.message());
        boost::system::error_code ignored;
        ws_.next_layer().close(ignored);
    }

    asio::io_context& io_;
    ws::stream<tcp::socket> ws_;
    Flow& flow_;
    std::string filter_;
    std::string request_;
    boost::beast::flat_buffer buffer_;
};

}  // namespace

nlohmann::json run_ws_throughput(const Common& c, Args& a) {
    auto s = fanin_spec(a, 0);
    s.ws_path = "/mqtt";
    s.ws_port = static_cast<unsigned short>(a.integer("http-port", 8080));
    a.check_all_used();
    nlohmann::json out{{"scenario", "ws-throughput"}, {"unit", "msg/s"}, {"params", flow_params(s)}};
    if (!upgrades(s.endpoint(c), s.ws_path, "mqtt")) {
        out["skipped"] = "endpoint not available (no WebSocket upgrade on /mqtt)";
        return out;
    }
    return run_flow(c, s, out);
}

nlohmann::json run_ws_fanout(const Common& c, Args& a) {
    const tcp::endpoint http(c.broker.address(), static_cast<unsigned short>(a.integer("http-port", 8080)));
    const auto clients = static_cast<std::size_t>(a.integer("clients", 1000));
    PublisherConfig cfg;
    cfg.topic = "bench/ws";
    cfg.payload = static_cast<std::size_t>(a.integer("payload", 64));
    cfg.e2e_window = static_cast<std::uint64_t>(a.integer("e2e-window", 20));
    cfg.deliveries_per_message = clients;
    a.check_all_used();
    nlohmann::json out{{"scenario", "ws-fanout"},
                       {"unit", "deliveries/s"},
                       {"params", {{"clients", clients}, {"payload", cfg.payload}, {"e2e_window", cfg.e2e_window}}}};
    if (!upgrades(http, "/api/v1/stream", nullptr)) {
        out["skipped"] = "endpoint not available (no WebSocket upgrade on /api/v1/stream)";
        return out;
    }

    Pool pool(c.threads);
    std::vector<Flow> flows(1);
    std::vector<std::unique_ptr<StreamClient>> streams;
    for (std::size_t i = 0; i < clients; ++i) {
        streams.push_back(std::make_unique<StreamClient>(pool.next(), flows[0], cfg.topic));
        auto* s = streams.back().get();
        asio::post(s->context(), [s, http] { s->start(http); });
    }
    Publisher pub(pool.next(), cfg, 0, flows[0]);
    pub.start(c.broker, "bench-ws-pub-" + std::to_string(::getpid()));
    const bool ready = wait_until(
        [&] {
            if (errors().count.load() > 0 || !pub.connected.load()) return errors().count.load() > 0;
            for (auto& s : streams)
                if (!s->subscribed.load()) return false;
            return true;
        },
        60s);
    if (!ready || errors().count.load() > 0) throw std::runtime_error("stream clients did not subscribe");

    pub.begin();
    pause_for(std::chrono::duration<double>(c.warmup));
    const auto from = Clock::read(c.broker_pid);
    const auto delivered_from = flows[0].delivered.load();
    pause_for(std::chrono::duration<double>(c.duration));
    const auto to = Clock::read(c.broker_pid);
    const auto delivered_to = flows[0].delivered.load();
    pub.halt();
    auto last = flows[0].delivered.load();
    auto last_change = std::chrono::steady_clock::now();
    wait_until(
        [&] {
            const auto now = flows[0].delivered.load();
            if (now >= flows[0].sent.load() * clients) return true;
            if (now != last) {
                last = now;
                last_change = std::chrono::steady_clock::now();
            }
            return std::chrono::steady_clock::now() - last_change > std::chrono::duration<double>(c.drain);
        },
        std::chrono::duration<double>(c.drain) + 30s);
    pool.stop();

    put_cpu(out, from, to);
    out["rate"] = static_cast<double>(delivered_to - delivered_from) / out["seconds"].get<double>();
    const auto expected = flows[0].sent.load() * clients;
    const auto delivered = flows[0].delivered.load();
    out["sent"] = flows[0].sent.load();
    out["expected"] = expected;
    out["delivered"] = delivered;
    out["lost"] = expected > delivered ? expected - delivered : 0;
    return out;
}

}  // namespace mqgate::bench
