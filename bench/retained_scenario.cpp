// N retained messages: what each costs the broker in memory (VmRSS after
// storing them, less before, per message), with the shape the hardening
// issue measured: 11-byte topics ("ret/0000000") and 16-byte payloads, each
// on its own topic, published QoS 1 so every one is stored when its PUBACK
// is in.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include "bench/conn.hpp"
#include "bench/scenarios.hpp"
#include "mqtt/codec.hpp"

namespace mqgate::bench {

namespace {

using namespace std::chrono_literals;

class Loader : public Conn {
public:
    Loader(asio::io_context& io, std::size_t total, std::uint32_t window)
        : Conn(io, 4096), total_(total), window_(window) {}

    std::atomic<bool> connected{false};
    std::atomic<std::size_t> acked{0};
    // Call on the loader's thread.
    void begin() {
        running_ = true;
        pump();
    }

private:
    void on_connack() override { connected.store(true); }
    void on_packet(std::uint8_t first, std::string_view) override {
        if ((first & 0xf0) != 0x40) return;  // PUBACK
        --unacked_;
        acked.fetch_add(1, std::memory_order_relaxed);
    }
    void on_read_done() override { pump(); }
    void on_write_done() override { pump(); }

    void pump() {
        while (running_ && sent_ < total_ && unacked_ < window_) {
            char topic[32];
            std::snprintf(topic, sizeof topic, "ret/%07zu", sent_);
            const std::uint16_t id = next_id_;
            next_id_ = next_id_ == 0xffff ? 1 : next_id_ + 1;
            mqtt::encode_publish_header(false, 1, true, topic, id, payload_.size(), out());
            out().append(payload_);
            ++sent_;
            ++unacked_;
        }
        flush();
    }

    const std::size_t total_;
    const std::uint32_t window_;
    const std::string payload_ = std::string(16, 'v');
    bool running_ = false;
    std::size_t sent_ = 0;
    std::uint32_t unacked_ = 0;
    std::uint16_t next_id_ = 1;
};

}  // namespace

nlohmann::json run_retained(const Common& c, Args& a) {
    // Seven digits keep every topic at 11 bytes.
    const auto total = static_cast<std::size_t>(std::clamp(a.integer("messages", 100000), 1L, 9999999L));
    const auto window = static_cast<std::uint32_t>(std::max(1L, a.integer("window", 100)));
    const double settle = a.number("settle", 1);
    a.check_all_used();
    nlohmann::json out{{"scenario", "retained"},
                       {"unit", "msg/s"},
                       {"params", {{"messages", total}, {"topic_bytes", 11}, {"payload_bytes", 16}}}};

    Pool pool(1);
    auto& io = pool.next();
    auto loader = std::make_unique<Loader>(io, total, window);
    loader->start(c.broker, "bench-retained-" + std::to_string(::getpid()));
    if (!wait_until([&] { return loader->connected.load() || errors().count.load() > 0; }, 10s))
        throw std::runtime_error("no CONNACK");

    pause_for(std::chrono::duration<double>(settle));
    const auto rss_before = process_rss_kib(c.broker_pid);
    const auto from = Clock::read(c.broker_pid);
    asio::post(io, [l = loader.get()] { l->begin(); });
    const bool all = wait_until([&] { return loader->acked.load() >= total || errors().count.load() > 0; }, 120s);
    const auto to = Clock::read(c.broker_pid);
    put_cpu(out, from, to);
    out["stored"] = loader->acked.load();
    out["rate"] = static_cast<double>(loader->acked.load()) / out["seconds"].get<double>();
    if (!all) errors().record("not every retained PUBLISH was acknowledged");

    pause_for(std::chrono::duration<double>(settle));
    const auto rss_after = process_rss_kib(c.broker_pid);
    if (rss_before && rss_after) {
        out["rss_before_kib"] = *rss_before;
        out["rss_after_kib"] = *rss_after;
        out["bytes_per_retained"] = static_cast<double>(*rss_after - *rss_before) * 1024.0 / static_cast<double>(total);
    }
    pool.stop();
    return out;
}

}  // namespace mqgate::bench
