#include "bench/roles.hpp"

#include <cstring>

#include <boost/asio/post.hpp>

#include "mqtt/codec.hpp"

namespace mqgate::bench {

namespace {

// Above this much queued output a publisher waits for the write in flight:
// large enough to batch many small messages into one write.
constexpr std::size_t max_batch_bytes = 64 * 1024;

void put_u32(char* p, std::uint32_t v) { std::memcpy(p, &v, sizeof v); }
void put_u64(char* p, std::uint64_t v) { std::memcpy(p, &v, sizeof v); }

std::uint32_t get_u32(const char* p) {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
std::uint64_t get_u64(const char* p) {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

}  // namespace

Publisher::Publisher(asio::io_context& io, PublisherConfig cfg, std::uint32_t index, Flow& flow)
    : Conn(io, 4096), cfg_(std::move(cfg)), index_(index), flow_(flow),
      payload_(std::max(cfg_.payload, stamp_size), 'x'), timer_(io) {
    put_u32(payload_.data(), index_);
    flow_.publisher = this;
}

void Publisher::begin() {
    running_.store(true);
    asio::post(context(), [this] {
        rate_start_ = std::chrono::steady_clock::now();
        if (cfg_.rate > 0) tick();
        else pump();
    });
}

void Publisher::halt() {
    running_.store(false);
    asio::post(context(), [this] { timer_.cancel(); });
}

bool Publisher::window_open() {
    if (cfg_.qos > 0 && unacked_ >= cfg_.ack_window) return false;
    if (cfg_.e2e_window == 0) return true;
    const auto limit = cfg_.e2e_window * cfg_.deliveries_per_message;
    if (sent_ * cfg_.deliveries_per_message - flow_.delivered.load() < limit) return true;
    // Announce the wait, then look again: a delivery between the two checks
    // either sees the flag or is seen here.
    flow_.waiting.store(true);
    if (sent_ * cfg_.deliveries_per_message - flow_.delivered.load() < limit) {
        flow_.waiting.store(false);
        return true;
    }
    return false;
}

void Publisher::append_one() {
    put_u64(payload_.data() + 4, now_ns());
    std::uint16_t id = 0;
    if (cfg_.qos > 0) {
        id = next_id_;
        next_id_ = next_id_ == 0xffff ? 1 : next_id_ + 1;
        ++unacked_;
    }
    mqtt::encode_publish_header(false, cfg_.qos, false, cfg_.topic, id, payload_.size(), out());
    out().append(payload_);
    ++sent_;
    flow_.sent.store(sent_, std::memory_order_relaxed);
}

void Publisher::pump() {
    if (!running_.load(std::memory_order_relaxed) || cfg_.rate > 0) return flush();
    while (out().size() < max_batch_bytes && window_open()) append_one();
    flush();
}

void Publisher::tick() {
    if (!running_.load(std::memory_order_relaxed)) return;
    const auto now = std::chrono::steady_clock::now();
    const auto due = static_cast<std::uint64_t>(std::chrono::duration<double>(now - rate_start_).count() * cfg_.rate);
    while (sent_ < due) {
        if (!window_open()) {
            // A full window at a fixed rate means the broker fell behind: skip
            // rather than burst later, and count it.
            late_.fetch_add(due - sent_, std::memory_order_relaxed);
            rate_start_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                std::chrono::duration<double>((due - sent_) / cfg_.rate));
            break;
        }
        append_one();
    }
    flush();
    timer_.expires_at(rate_start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                        std::chrono::duration<double>((sent_ + 1) / cfg_.rate)));
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) tick();
    });
}

void Publisher::on_packet(std::uint8_t first, std::string_view) {
    if ((first >> 4) == 4 && unacked_ > 0) --unacked_;  // PUBACK, in order
}

Subscriber::Subscriber(asio::io_context& io, std::string filter, std::uint8_t qos, std::vector<Flow>& flows,
                       std::size_t read_buffer, LatencyWindow* latency)
    : Conn(io, read_buffer), filter_(std::move(filter)), qos_(qos), flows_(flows), pending_(flows.size(), 0),
      latency_(latency) {}

void Subscriber::on_connack() {
    mqtt::Subscribe s;
    s.packet_id = 1;
    s.subscriptions.push_back({filter_, qos_});
    mqtt::encode(s, out());
    flush();
}

void Subscriber::on_packet(std::uint8_t first, std::string_view body) {
    const auto type = first >> 4;
    if (type == 9) {
        if (body.size() == 3 && static_cast<std::uint8_t>(body[2]) <= 2) subscribed.store(true);
        else errors().record("subscribe refused: " + filter_);
        return;
    }
    PublishView p;
    if (!parse_publish(first, body, p)) return;
    if (p.qos == 1) {
        const char ack[4] = {0x40, 0x02, static_cast<char>(p.packet_id >> 8), static_cast<char>(p.packet_id & 0xff)};
        out().append(ack, sizeof ack);
    }
    bytes_pending_ += p.payload.size();
    if (p.payload.size() < stamp_size) {
        ++foreign_pending_;
        return;
    }
    const auto index = get_u32(p.payload.data());
    if (index >= flows_.size()) {
        ++foreign_pending_;
        return;
    }
    if (pending_[index]++ == 0) touched_.push_back(index);
    if (latency_) {
        const auto sent = get_u64(p.payload.data() + 4);
        if (sent >= latency_->from_ns.load(std::memory_order_relaxed) &&
            sent < latency_->to_ns.load(std::memory_order_relaxed))
            latencies_ns.push_back(now_ns() - sent);
    }
}

void Subscriber::on_read_done() {
    flush();  // acknowledgements first: the broker's window waits on them
    for (auto index : touched_) {
        auto& flow = flows_[index];
        flow.delivered.fetch_add(pending_[index]);
        pending_[index] = 0;
        if (flow.waiting.load() && flow.waiting.exchange(false))
            asio::post(flow.publisher->context(), [p = flow.publisher] { p->pump(); });
    }
    touched_.clear();
    if (foreign_pending_) foreign.fetch_add(std::exchange(foreign_pending_, 0), std::memory_order_relaxed);
    if (bytes_pending_) bytes.fetch_add(std::exchange(bytes_pending_, 0), std::memory_order_relaxed);
}

}  // namespace mqgate::bench
