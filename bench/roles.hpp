// The clients a scenario is made of: publishers that keep a bounded number of
// messages in flight end to end, and subscribers that count what arrives per
// publisher. Payloads carry the publisher's index and the send time, so the
// generator knows what was lost and how long each message took.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "bench/conn.hpp"

namespace mqgate::bench {

inline std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
}

// Payload header written by publishers, read by subscribers.
inline constexpr std::size_t stamp_size = 12;  // u32 publisher index, u64 send time (ns)

class Publisher;

// What one publisher has sent and what of it arrived, across threads. The
// waiting flag and the counters are seq_cst so a publisher that goes to sleep
// on a full window is always woken by the delivery that frees it.
struct Flow {
    std::atomic<std::uint64_t> sent{0};
    std::atomic<std::uint64_t> delivered{0};
    std::atomic<bool> waiting{false};
    Publisher* publisher = nullptr;
};

struct PublisherConfig {
    std::string topic;
    std::uint8_t qos = 0;
    std::size_t payload = 64;
    std::uint64_t deliveries_per_message = 1;  // subscribers that receive each message
    std::uint64_t e2e_window = 0;              // messages sent but not yet delivered; 0: unlimited
    std::uint32_t ack_window = 20;             // QoS 1 PUBLISHes awaiting PUBACK
    double rate = 0;                           // messages per second; 0: as fast as allowed
};

class Publisher : public Conn {
public:
    Publisher(asio::io_context& io, PublisherConfig cfg, std::uint32_t index, Flow& flow);

    std::atomic<bool> connected{false};
    void begin();  // start publishing (call from any thread)
    void halt();   // stop publishing (call from any thread)
    void pump();   // on its own thread: send what the windows allow

    // Messages the fixed rate could not send because a window was full.
    std::uint64_t late() const noexcept { return late_.load(std::memory_order_relaxed); }

private:
    void on_connack() override { connected.store(true); }
    void on_packet(std::uint8_t first, std::string_view body) override;
    void on_read_done() override { pump(); }
    void on_write_done() override { pump(); }
    void append_one();
    bool window_open();
    void tick();

    PublisherConfig cfg_;
    std::uint32_t index_;
    Flow& flow_;
    std::string payload_;
    std::atomic<bool> running_{false};
    std::uint64_t sent_ = 0;
    std::uint32_t unacked_ = 0;
    std::uint16_t next_id_ = 1;
    asio::steady_timer timer_;
    std::chrono::steady_clock::time_point rate_start_;
    std::atomic<std::uint64_t> late_{0};
};

// Latency samples in ns, kept for messages sent inside the measured window.
struct LatencyWindow {
    std::atomic<std::uint64_t> from_ns{~std::uint64_t{0}};
    std::atomic<std::uint64_t> to_ns{~std::uint64_t{0}};
};

class Subscriber : public Conn {
public:
    Subscriber(asio::io_context& io, std::string filter, std::uint8_t qos, std::vector<Flow>& flows,
               std::size_t read_buffer, LatencyWindow* latency = nullptr);

    std::atomic<bool> subscribed{false};
    // Messages whose payload names no known publisher (e.g. REST publishes).
    std::atomic<std::uint64_t> foreign{0};
    std::atomic<std::uint64_t> bytes{0};
    std::vector<std::uint64_t> latencies_ns;  // read only after the threads stopped

private:
    void on_connack() override;
    void on_packet(std::uint8_t first, std::string_view body) override;
    void on_read_done() override;

    std::string filter_;
    std::uint8_t qos_;
    std::vector<Flow>& flows_;
    std::vector<std::uint32_t> pending_;  // deliveries per flow not yet published
    std::vector<std::uint32_t> touched_;
    std::uint64_t foreign_pending_ = 0;
    std::uint64_t bytes_pending_ = 0;
    LatencyWindow* latency_;
};

}  // namespace mqgate::bench
