// Publishers → broker → subscribers, measured over a fixed window after a
// warm-up, then drained so every message is accounted for (delivered or lost).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/flow.hpp"
#include "bench/scenarios.hpp"
#include "bench/webhook_receiver.hpp"

namespace mqgate::bench {

namespace {

using namespace std::chrono_literals;



std::uint64_t total_delivered(const std::vector<Flow>& flows) {
    std::uint64_t n = 0;
    for (const auto& f : flows) n += f.delivered.load(std::memory_order_relaxed);
    return n;
}

std::uint64_t total_sent(const std::vector<Flow>& flows) {
    std::uint64_t n = 0;
    for (const auto& f : flows) n += f.sent.load(std::memory_order_relaxed);
    return n;
}

}  // namespace

nlohmann::json run_flow(const Common& c, const FlowSpec& spec, nlohmann::json out) {
    std::vector<Flow> flows(spec.publishers);
    std::unique_ptr<WebhookReceiver> receiver;  // outlives the pool's threads
    Pool pool(c.threads);
    LatencyWindow window;
    const auto tag = std::to_string(::getpid());
    if (spec.webhook_port)
        receiver = std::make_unique<WebhookReceiver>(pool.next(), spec.webhook_port, "bench-pub-" + tag + "-", flows);

    // Subscribers first, all subscribed before anyone publishes.
    const std::size_t read_buffer = spec.subscribers > 100 ? 16 * 1024 : 256 * 1024;
    std::vector<std::unique_ptr<Subscriber>> subs;
    for (unsigned i = 0; i < spec.subscribers; ++i) {
        subs.push_back(std::make_unique<Subscriber>(pool.next(), spec.filter, spec.sub_qos, flows, read_buffer,
                                                    spec.latency ? &window : nullptr));
        if (spec.persistent_subscribers)
            subs.back()->start(spec.subscriber_endpoint(c), "bench-sub-persistent-" + std::to_string(i), spec.ws_path, false);
        else
            subs.back()->start(spec.subscriber_endpoint(c), "bench-sub-" + tag + "-" + std::to_string(i), spec.ws_path);
    }
    std::vector<std::unique_ptr<Publisher>> pubs;
    for (unsigned i = 0; i < spec.publishers; ++i) {
        auto cfg = spec.pub;
        if (spec.per_publisher_topic) cfg.topic += "/" + std::to_string(i);
        pubs.push_back(std::make_unique<Publisher>(pool.next(), cfg, i, flows[i]));
        pubs.back()->start(spec.endpoint(c), "bench-pub-" + tag + "-" + std::to_string(i), spec.ws_path);
    }
    const bool ready = wait_until(
        [&] {
            return errors().count.load() > 0 ||
                   (std::all_of(subs.begin(), subs.end(), [](auto& s) { return s->subscribed.load(); }) &&
                    std::all_of(pubs.begin(), pubs.end(), [](auto& p) { return p->connected.load(); }));
        },
        60s);
    if (!ready || errors().count.load() > 0) throw std::runtime_error("clients did not connect and subscribe");

    for (auto& p : pubs) p->begin();
    pause_for(std::chrono::duration<double>(c.warmup));
    const auto from = Clock::read(c.broker_pid);
    const auto delivered_from = total_delivered(flows);
    const auto sent_from = total_sent(flows);
    window.from_ns.store(now_ns());
    pause_for(std::chrono::duration<double>(c.duration));
    window.to_ns.store(now_ns());
    const auto to = Clock::read(c.broker_pid);
    const auto delivered_to = total_delivered(flows);
    const auto sent_to = total_sent(flows);
    for (auto& p : pubs) p->halt();

    // Drain: wait until everything sent arrived, or nothing moved for `drain` s.
    const auto per_message = spec.pub.deliveries_per_message;
    auto last = total_delivered(flows);
    auto last_change = std::chrono::steady_clock::now();
    wait_until(
        [&] {
            const auto now_delivered = total_delivered(flows);
            if (now_delivered >= total_sent(flows) * per_message) return true;
            if (now_delivered != last) {
                last = now_delivered;
                last_change = std::chrono::steady_clock::now();
            }
            return std::chrono::steady_clock::now() - last_change > std::chrono::duration<double>(c.drain);
        },
        std::chrono::duration<double>(c.drain) + 30s);
    pool.stop();

    put_cpu(out, from, to);
    const double seconds = out["seconds"].get<double>();
    const auto in_window = delivered_to - delivered_from;
    out["rate"] = static_cast<double>(in_window) / seconds;
    // What the publishers got through: with QoS 1 and a bounded ack window,
    // the rate the broker acknowledged at (the overload scenario compares it
    // with what reached the subscriber).
    out["sent_rate"] = static_cast<double>(sent_to - sent_from) / seconds;
    out["mb_per_s"] = static_cast<double>(in_window) * static_cast<double>(spec.pub.payload) / seconds / 1e6;
    if (out.contains("broker_cpu") && out["broker_cpu"].get<double>() > 0)
        out["rate_per_broker_core"] = out["rate"].get<double>() / out["broker_cpu"].get<double>();
    const auto sent = total_sent(flows);
    const auto delivered = total_delivered(flows);
    out["sent"] = sent;
    out["expected"] = sent * per_message;
    out["delivered"] = delivered;
    out["lost"] = sent * per_message > delivered ? sent * per_message - delivered : 0;
    out["duplicates"] = delivered > sent * per_message ? delivered - sent * per_message : 0;
    std::uint64_t late = 0;
    for (auto& p : pubs) late += p->late();
    if (spec.pub.rate > 0) out["late"] = late;

    if (receiver) {
        out["requests"] = receiver->requests.load();
        out["events_per_request"] =
            receiver->requests.load() ? static_cast<double>(delivered) / static_cast<double>(receiver->requests.load()) : 0.0;
        out["connections"] = receiver->connections.load();
        if (receiver->foreign.load()) errors().record("webhook events of no publisher of this run");
    }
    if (spec.latency) {
        std::vector<std::uint64_t> all;
        for (auto& s : subs) all.insert(all.end(), s->latencies_ns.begin(), s->latencies_ns.end());
        std::sort(all.begin(), all.end());
        out["samples"] = all.size();
        out["p50_us"] = percentile_us(all, 0.50);
        out["p99_us"] = percentile_us(all, 0.99);
        out["p999_us"] = percentile_us(all, 0.999);
        out["max_us"] = all.empty() ? 0.0 : static_cast<double>(all.back()) / 1000.0;
    }
    return out;
}

nlohmann::json flow_params(const FlowSpec& s) {
    return {{"publishers", s.publishers}, {"subscribers", s.subscribers},     {"qos", s.pub.qos},
            {"sub_qos", s.sub_qos},       {"persistent_subscribers", s.persistent_subscribers},
            {"payload", s.pub.payload},         {"e2e_window", s.pub.e2e_window},
            {"ack_window", s.pub.ack_window}, {"rate_target", s.pub.rate}};
}

nlohmann::json run_webhooks(const Common& c, Args& a) {
    FlowSpec s;
    s.publishers = static_cast<unsigned>(a.integer("publishers", 16));
    s.subscribers = 0;
    s.webhook_port = static_cast<unsigned short>(a.integer("receiver-port", 0));
    if (!s.webhook_port) throw std::invalid_argument("webhooks needs --receiver-port (the gateway's webhook URL's)");
    // Reported only: the gateway's webhook config sets it (bench/run writes one per scenario).
    const auto batch = a.integer("batch", 1);
    s.pub.topic = "bench/webhook";
    s.pub.payload = static_cast<std::size_t>(a.integer("payload", 64));
    // Bounded end to end, far below the webhook's max_pending: the sustained
    // delivery rate is measured, not how the outbox sheds an overload.
    s.pub.e2e_window = static_cast<std::uint64_t>(a.integer("e2e-window", 500));
    a.check_all_used();
    auto params = flow_params(s);
    params["batch"] = batch;
    return run_flow(c, s, {{"scenario", "webhooks"}, {"unit", "events/s"}, {"params", params}});
}

FlowSpec fanin_spec(Args& a, int qos) {
    FlowSpec s;
    s.publishers = static_cast<unsigned>(a.integer("publishers", 10));
    s.filter = a.str("filter", "#");
    s.pub.topic = "bench/fanin";
    s.pub.qos = static_cast<std::uint8_t>(qos);
    s.sub_qos = static_cast<std::uint8_t>(a.integer("sub-qos", qos));
    const auto session = a.str("sub-session", "clean");
    if (session != "clean" && session != "persistent")
        throw std::invalid_argument("--sub-session wants clean or persistent");
    s.persistent_subscribers = session == "persistent";
    s.pub.payload = static_cast<std::size_t>(a.integer("payload", 64));
    s.pub.ack_window = static_cast<std::uint32_t>(a.integer("ack-window", 20));
    // Bounded end to end so the subscriber's queue (1000 messages in both
    // brokers) never overflows: the broker's sustained rate is measured, not
    // how it sheds an overload.
    s.pub.e2e_window = static_cast<std::uint64_t>(a.integer("e2e-window", qos == 0 ? 500 : 50));
    return s;
}

nlohmann::json run_fanin(const Common& c, Args& a, int qos) {
    auto s = fanin_spec(a, qos);
    a.check_all_used();
    return run_flow(c, s, {{"scenario", qos == 0 ? "fanin-qos0" : "fanin-qos1"}, {"unit", "msg/s"}, {"params", flow_params(s)}});
}

nlohmann::json run_fanout(const Common& c, Args& a) {
    FlowSpec s;
    s.subscribers = static_cast<unsigned>(a.integer("subscribers", 100));
    s.pub.topic = "bench/fanout";
    s.per_publisher_topic = false;
    s.filter = a.str("filter", "bench/fanout");
    s.pub.qos = static_cast<std::uint8_t>(a.integer("qos", 0));
    s.sub_qos = s.pub.qos;
    s.pub.payload = static_cast<std::size_t>(a.integer("payload", 64));
    s.pub.ack_window = static_cast<std::uint32_t>(a.integer("ack-window", 20));
    s.pub.e2e_window = static_cast<std::uint64_t>(a.integer("e2e-window", 100));
    s.pub.deliveries_per_message = s.subscribers;
    a.check_all_used();
    return run_flow(c, s, {{"scenario", "fanout"}, {"unit", "deliveries/s"}, {"params", flow_params(s)}});
}

nlohmann::json run_latency(const Common& c, Args& a) {
    FlowSpec s;
    s.pub.topic = "bench/latency";
    s.per_publisher_topic = false;
    s.filter = "bench/latency";
    s.pub.qos = static_cast<std::uint8_t>(a.integer("qos", 1));
    s.sub_qos = s.pub.qos;
    s.pub.payload = static_cast<std::size_t>(a.integer("payload", 64));
    s.pub.rate = a.number("rate", 5000);
    s.pub.ack_window = static_cast<std::uint32_t>(a.integer("ack-window", 20));
    s.latency = true;
    a.check_all_used();
    return run_flow(c, s, {{"scenario", "latency"}, {"unit", "us"}, {"params", flow_params(s)}});
}

nlohmann::json run_large(const Common& c, Args& a) {
    FlowSpec s;
    s.pub.topic = "bench/large";
    s.per_publisher_topic = false;
    s.filter = "bench/large";
    s.pub.qos = static_cast<std::uint8_t>(a.integer("qos", 0));
    s.sub_qos = s.pub.qos;
    s.pub.payload = static_cast<std::size_t>(a.integer("payload", 64 * 1024));
    // 8 x 64 KiB stays under mqgate's 1 MiB outbound buffer per connection.
    s.pub.e2e_window = static_cast<std::uint64_t>(a.integer("e2e-window", 8));
    a.check_all_used();
    return run_flow(c, s, {{"scenario", "large"}, {"unit", "MB/s"}, {"params", flow_params(s)}});
}

}  // namespace mqgate::bench
