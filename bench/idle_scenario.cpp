// K idle connections: how fast the broker accepts them (a bounded number in
// progress at a time) and how much memory each costs it (VmRSS of the broker
// before and after, per connection). --transport picks what a connection is:
// MQTT over TCP (CONNECT to CONNACK), MQTT over WebSocket (/mqtt, the same
// through the upgrade), a JSON stream (/api/v1/stream: the upgrade's 101) or
// an SSE response (/api/v1/stream/sse: its first comment), the last two
// without a subscription, as the MQTT ones have none.
#include <unistd.h>

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "bench/conn.hpp"
#include "bench/scenarios.hpp"

namespace mqgate::bench {

namespace {

using namespace std::chrono_literals;

class Launcher;

class IdleConn : public Conn {
public:
    IdleConn(asio::io_context& io, Launcher& launcher) : Conn(io, 256), launcher_(launcher) {}

private:
    void on_connack() override;
    void on_packet(std::uint8_t, std::string_view) override {}
    Launcher& launcher_;
};

// A JSON stream or SSE connection: sends its request, counts as connected at
// `ready` (the 101 answer's end, or SSE's first comment), then reads and
// drops whatever comes (pings, keepalive comments) to stay open.
class IdleHttp {
public:
    IdleHttp(asio::io_context& io, Launcher& launcher, std::string request, std::string ready)
        : socket_(io), launcher_(launcher), request_(std::move(request)), ready_(std::move(ready)) {}

    void start(const tcp::endpoint& http) {
        socket_.async_connect(http, [this](const boost::system::error_code& ec) {
            if (ec) return errors().record("idle connect: " + ec.message());
            asio::async_write(socket_, asio::buffer(request_), [this](const boost::system::error_code& ec, std::size_t) {
                if (ec) return errors().record("idle request: " + ec.message());
                read();
            });
        });
    }

private:
    void read();
    tcp::socket socket_;
    Launcher& launcher_;
    std::string request_;
    std::string ready_;
    std::string head_;  // what came before `ready`
    bool connected_ = false;
    std::array<char, 512> buffer_{};
};

// Starts connections one after another on its thread, `concurrency` in
// progress at once.
class Launcher {
public:
    enum class Transport { mqtt, mqtt_ws, stream, sse };

    Launcher(asio::io_context& io, const tcp::endpoint& broker, std::string prefix, std::size_t count,
             Transport transport)
        : io_(io), broker_(broker), prefix_(std::move(prefix)), count_(count), transport_(transport) {}

    void launch() {
        if (started_ >= count_) return;
        const std::string host = "Host: " + broker_.address().to_string() + ":" + std::to_string(broker_.port()) + "\r\n";
        switch (transport_) {
        case Transport::mqtt:
        case Transport::mqtt_ws: {
            auto conn = std::make_unique<IdleConn>(io_, *this);
            conn->start(broker_, prefix_ + std::to_string(started_++), transport_ == Transport::mqtt ? "" : "/mqtt");
            conns_.push_back(std::move(conn));
            return;
        }
        case Transport::stream:
            http_.push_back(std::make_unique<IdleHttp>(
                io_, *this,
                "GET /api/v1/stream HTTP/1.1\r\n" + host +
                    "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
                "\r\n\r\n"));
            break;
        case Transport::sse:
            http_.push_back(std::make_unique<IdleHttp>(io_, *this, "GET /api/v1/stream/sse HTTP/1.1\r\n" + host + "\r\n",
                                                       ": mqgate stream\n"));
            break;
        }
        ++started_;
        http_.back()->start(broker_);
    }
    void connected() {
        done.fetch_add(1, std::memory_order_relaxed);
        launch();
    }
    asio::io_context& context() { return io_; }

    std::atomic<std::size_t> done{0};

private:
    asio::io_context& io_;
    tcp::endpoint broker_;
    std::string prefix_;
    std::size_t count_;
    Transport transport_;
    std::size_t started_ = 0;
    std::vector<std::unique_ptr<IdleConn>> conns_;
    std::vector<std::unique_ptr<IdleHttp>> http_;
};

void IdleConn::on_connack() { launcher_.connected(); }

void IdleHttp::read() {
    socket_.async_read_some(asio::buffer(buffer_), [this](const boost::system::error_code& ec, std::size_t n) {
        if (ec) return errors().record("idle read: " + ec.message());
        if (!connected_) {
            head_.append(buffer_.data(), n);
            if (head_.find(ready_) != std::string::npos) {
                if (head_.rfind("HTTP/1.1 ", 0) != 0 || head_.compare(9, 3, ready_ == "\r\n\r\n" ? "101" : "200") != 0)
                    return errors().record("idle answer: " + head_.substr(0, head_.find('\r')));
                connected_ = true;
                head_.clear();
                head_.shrink_to_fit();
                launcher_.connected();
            } else if (head_.size() > 4096) {
                return errors().record("idle answer: no end of the header");
            }
        }
        read();
    });
}

}  // namespace

nlohmann::json run_idle(const Common& c, Args& a) {
    const auto total = static_cast<std::size_t>(a.integer("connections", 10000));
    const auto concurrency = static_cast<std::size_t>(std::max(1L, a.integer("concurrency", 100)));
    const double settle = a.number("settle", 1);
    const std::string transport = a.str("transport", "mqtt");
    const auto http_port = a.integer("http-port", 0);
    a.check_all_used();
    nlohmann::json out{{"scenario", "idle"},
                       {"unit", "conn/s"},
                       {"params", {{"connections", total}, {"concurrency", concurrency}, {"transport", transport}}}};
    Launcher::Transport kind;
    if (transport == "mqtt") kind = Launcher::Transport::mqtt;
    else if (transport == "mqtt-ws") kind = Launcher::Transport::mqtt_ws;
    else if (transport == "stream") kind = Launcher::Transport::stream;
    else if (transport == "sse") kind = Launcher::Transport::sse;
    else throw std::runtime_error("--transport: mqtt, mqtt-ws, stream or sse");
    tcp::endpoint target = c.broker;
    if (kind != Launcher::Transport::mqtt) {
        if (http_port <= 0) {
            out["skipped"] = "no HTTP port (--http-port)";
            return out;
        }
        target = tcp::endpoint(c.broker.address(), static_cast<unsigned short>(http_port));
    }

    Pool pool(c.threads);
    std::vector<std::unique_ptr<Launcher>> launchers;
    const unsigned n = std::max(1u, c.threads);
    for (unsigned t = 0; t < n; ++t)
        launchers.push_back(std::make_unique<Launcher>(pool.next(), target,
                                                       "bench-idle-" + std::to_string(::getpid()) + "-" +
                                                           std::to_string(t) + "-",
                                                       total / n + (t < total % n ? 1 : 0), kind));
    auto connected = [&] {
        std::size_t d = 0;
        for (auto& l : launchers) d += l->done.load(std::memory_order_relaxed);
        return d;
    };

    const auto rss_before = process_rss_kib(c.broker_pid);
    const auto from = Clock::read(c.broker_pid);
    for (unsigned t = 0; t < n; ++t)
        for (std::size_t i = 0; i < concurrency / n + 1; ++i)
            asio::post(launchers[t]->context(), [l = launchers[t].get()] { l->launch(); });
    const bool all = wait_until([&] { return connected() >= total || errors().count.load() > 0; }, 120s);
    const auto to = Clock::read(c.broker_pid);
    put_cpu(out, from, to);
    out["connected"] = connected();
    out["rate"] = static_cast<double>(connected()) / out["seconds"].get<double>();
    if (!all) errors().record("not all idle connections were accepted");

    // Let the broker finish whatever follows a CONNACK before reading its memory.
    pause_for(std::chrono::duration<double>(settle));
    const auto rss_after = process_rss_kib(c.broker_pid);
    if (rss_before && rss_after) {
        out["rss_before_kib"] = *rss_before;
        out["rss_after_kib"] = *rss_after;
        out["kib_per_conn"] = static_cast<double>(*rss_after - *rss_before) / static_cast<double>(total);
    }
    pool.stop();
    return out;
}

}  // namespace mqgate::bench
