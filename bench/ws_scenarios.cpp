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
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "bench/flow.hpp"
#include "bench/scenarios.hpp"
#include "bench/stream_client.hpp"

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

namespace {

// One measured window of a ws-fanout phase.
struct Window {
    Clock from;
    Clock to;
    std::uint64_t messages = 0;
    std::uint64_t notices = 0;
    std::uint64_t dropped = 0;
};

Window measure(const Common& c, const StreamCounts& counts) {
    pause_for(std::chrono::duration<double>(c.warmup));
    Window w;
    w.from = Clock::read(c.broker_pid);
    const auto m = counts.messages.load(), n = counts.notices.load(), d = counts.dropped.load();
    pause_for(std::chrono::duration<double>(c.duration));
    w.to = Clock::read(c.broker_pid);
    w.messages = counts.messages.load() - m;
    w.notices = counts.notices.load() - n;
    w.dropped = counts.dropped.load() - d;
    return w;
}

// Rates of one window under `prefix` ("" for the closed loop).
void put_window(nlohmann::json& out, const std::string& prefix, const Window& w) {
    nlohmann::json cpu;
    put_cpu(cpu, w.from, w.to);
    const double seconds = cpu["seconds"].get<double>();
    const double rate = static_cast<double>(w.messages) / seconds;
    out[prefix + "rate"] = rate;
    if (cpu.contains("broker_cpu")) {
        out[prefix + "broker_cpu"] = cpu["broker_cpu"];
        out[prefix + "rate_per_broker_core"] = rate / cpu["broker_cpu"].get<double>();
    }
    out[prefix + "gen_cpu"] = cpu["gen_cpu"];
    out[prefix + "notices_per_s"] = static_cast<double>(w.notices) / seconds;
    out[prefix + "dropped_per_s"] = static_cast<double>(w.dropped) / seconds;
    out[prefix + "notice_share"] = w.messages + w.notices ? static_cast<double>(w.notices) / static_cast<double>(w.messages + w.notices) : 0.0;
    if (prefix.empty()) {
        out["seconds"] = seconds;
        out["gen_cpu"] = cpu["gen_cpu"];
        if (cpu.contains("broker_cpu")) out["broker_cpu"] = cpu["broker_cpu"];
    }
}

// Waits until every client has seen as many messages or drops as were sent,
// or until nothing changed for the drain time.
void drain(const Common& c, const StreamCounts& counts, std::uint64_t expected) {
    auto last = counts.messages.load() + counts.dropped.load();
    auto last_change = std::chrono::steady_clock::now();
    wait_until(
        [&] {
            const auto now = counts.messages.load() + counts.dropped.load();
            if (now >= expected) return true;
            if (now != last) {
                last = now;
                last_change = std::chrono::steady_clock::now();
            }
            return std::chrono::steady_clock::now() - last_change > std::chrono::duration<double>(c.drain);
        },
        std::chrono::duration<double>(c.drain) + 30s);
}

}  // namespace

// Closed loop (the publisher keeps e2e-window messages per client in flight)
// measures the saturated rate; with --overload X a second publisher then
// offers X times that message rate with nothing holding it back, and the
// same clients count what still arrives and the "dropped" notices.
nlohmann::json run_ws_fanout(const Common& c, Args& a) {
    const tcp::endpoint http(c.broker.address(), static_cast<unsigned short>(a.integer("http-port", 8080)));
    const auto clients = static_cast<std::size_t>(a.integer("clients", 1000));
    const double overload = a.number("overload", 0);
    const bool deflate = a.integer("deflate", 0) != 0;  // 1: the clients offer permessage-deflate
    PublisherConfig cfg;
    cfg.topic = "bench/ws";
    cfg.payload = static_cast<std::size_t>(a.integer("payload", 64));
    cfg.e2e_window = static_cast<std::uint64_t>(a.integer("e2e-window", 20));
    cfg.deliveries_per_message = clients;
    a.check_all_used();
    nlohmann::json out{{"scenario", "ws-fanout"},
                       {"unit", "deliveries/s"},
                       {"params",
                        {{"clients", clients}, {"payload", cfg.payload}, {"e2e_window", cfg.e2e_window},
                         {"overload", overload}, {"deflate", deflate}}}};
    if (!upgrades(http, "/api/v1/stream", nullptr)) {
        out["skipped"] = "endpoint not available (no WebSocket upgrade on /api/v1/stream)";
        return out;
    }

    Pool pool(c.threads);
    std::vector<Flow> flows(2);
    StreamCounts counts;
    std::vector<std::unique_ptr<StreamClient>> streams;
    for (std::size_t i = 0; i < clients; ++i) {
        streams.push_back(std::make_unique<StreamClient>(pool.next(), flows[0], counts, cfg.topic, deflate));
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
    const auto saturated = measure(c, counts);
    pub.halt();
    drain(c, counts, flows[0].sent.load() * clients);
    put_window(out, "", saturated);

    std::unique_ptr<Publisher> flood;
    if (overload > 0) {
        PublisherConfig fcfg = cfg;
        fcfg.e2e_window = 0;
        fcfg.rate = overload * out["rate"].get<double>() / static_cast<double>(clients);
        flood = std::make_unique<Publisher>(pool.next(), fcfg, 1, flows[1]);
        flood->start(c.broker, "bench-ws-flood-" + std::to_string(::getpid()));
        if (!wait_until([&] { return flood->connected.load() || errors().count.load() > 0; }, 10s))
            throw std::runtime_error("the overload publisher did not connect");
        flood->begin();
        const auto flooded = measure(c, counts);
        flood->halt();
        drain(c, counts, (flows[0].sent.load() + flows[1].sent.load()) * clients);
        out["overload_offered"] = fcfg.rate * static_cast<double>(clients);
        put_window(out, "overload_", flooded);
        out["overload_kept"] = out["overload_rate"].get<double>() / out["rate"].get<double>();
        // The same per broker CPU-second: meaningful when other load shares the broker's core.
        if (out.contains("overload_rate_per_broker_core") && out.contains("rate_per_broker_core"))
            out["overload_kept_per_broker_cpu"] =
                out["overload_rate_per_broker_core"].get<double>() / out["rate_per_broker_core"].get<double>();
    }
    pool.stop();

    // Every message sent reached every client or was announced as dropped.
    const auto expected = (flows[0].sent.load() + flows[1].sent.load()) * clients;
    const auto accounted = counts.messages.load() + counts.dropped.load();
    out["sent"] = flows[0].sent.load() + flows[1].sent.load();
    out["expected"] = expected;
    out["delivered"] = counts.messages.load();
    // What a client's network carries per message (WebSocket framing included).
    if (counts.messages.load() > 0)
        out["bytes_per_delivery"] = static_cast<double>(counts.bytes.load()) / static_cast<double>(counts.messages.load());
    out["dropped"] = counts.dropped.load();
    out["notices"] = counts.notices.load();
    out["lost"] = expected > accounted ? expected - accounted : 0;
    return out;
}

}  // namespace mqgate::bench
