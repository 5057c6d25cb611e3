// mqgate-core-bench: the broker core alone, without sockets, driven from T
// threads at once (issue 17's yardstick). Each thread plays the I/O thread of
// its own connections: it feeds their decoded packets to the broker as a
// transport does, and the subscribers' connections count what the broker
// hands them. What it measures is how the core scales with threads, not
// mqgate's speed on the network (bench/run does that).
//
//   fanin:  per thread 10 publishers, QoS 0, each on its own topic in/<t>/<p>;
//           one subscriber to in/#, whose connection every thread hands
//           its deliveries to.
//   fanout: per thread 1 publisher on out/<t>, QoS 0, with 100 subscribers of
//           its own; a delivery is one message to one subscriber.
//
// For each T it prints one JSON line: deliveries per second, and the same
// relative to the first T. Exit 1 if a subscriber got other than what was
// published times its fan-out (the broker must lose nothing at QoS 0 here:
// no connection reports a full buffer).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/args.hpp"
#include "mqtt/broker.hpp"
#include "mqtt/connection.hpp"
#include "mqtt/packet.hpp"

namespace {

using namespace mqgate::mqtt;
using Clock = std::chrono::steady_clock;

// Counts PUBLISHes handed to it. A real transport would append the frame to
// its queue and wake its thread; counting keeps the core the only cost.
class CountingConnection final : public Connection {
public:
    void send(Frame frame) override {
        if (frame.payload_of) received.fetch_add(1, std::memory_order_relaxed);
    }
    void close(DisconnectReason) override {}
    void set_keepalive(std::chrono::seconds) override {}
    std::size_t buffered_bytes() const noexcept override { return 0; }
    PeerInfo peer() const override { return {"127.0.0.1", 1, 1883, "mqtt", ""}; }

    std::atomic<std::uint64_t> received{0};
};

struct Client {
    std::shared_ptr<CountingConnection> conn = std::make_shared<CountingConnection>();
    std::shared_ptr<ClientLink> link;
};

Client connect(Broker& broker, std::string id) {
    Client c;
    c.link = broker.attach(c.conn);
    Connect packet;
    packet.client_id = std::move(id);
    c.link->packet(std::move(packet));
    return c;
}

void subscribe(Client& c, std::string filter) {
    c.link->packet(Subscribe{1, {{std::move(filter), 0}}});
}

struct Result {
    std::uint64_t published = 0;
    std::uint64_t deliveries = 0;
    std::uint64_t expected = 0;
    double seconds = 0;
};

BrokerOptions options() {
    BrokerOptions o;
    o.limits.max_subscriptions_per_session = 1000;
    return o;
}

// T threads publish for `duration`; each thread's publishers take turns.
Result run(const std::string& scenario, int threads, std::chrono::duration<double> duration) {
    Broker broker(options());
    const bool fanin = scenario == "fanin";
    const int publishers_per_thread = fanin ? 10 : 1;
    const int subscribers_per_topic = fanin ? 1 : 100;

    std::vector<Client> subscribers;
    if (fanin) {
        subscribers.push_back(connect(broker, "sub"));
        subscribe(subscribers.back(), "in/#");
    } else {
        for (int t = 0; t < threads; ++t)
            for (int s = 0; s < subscribers_per_topic; ++s) {
                subscribers.push_back(connect(broker, "sub-" + std::to_string(t) + "-" + std::to_string(s)));
                subscribe(subscribers.back(), "out/" + std::to_string(t));
            }
    }

    std::atomic<bool> go{false}, stop{false};
    std::atomic<int> ready{0};
    std::vector<std::uint64_t> published(static_cast<std::size_t>(threads), 0);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            std::vector<Client> pubs;
            std::vector<std::string> topics;
            for (int p = 0; p < publishers_per_thread; ++p) {
                pubs.push_back(connect(broker, "pub-" + std::to_string(t) + "-" + std::to_string(p)));
                topics.push_back(fanin ? "in/" + std::to_string(t) + "/" + std::to_string(p)
                                       : "out/" + std::to_string(t));
            }
            const std::string payload(64, 'x');
            ready.fetch_add(1);
            while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
            std::uint64_t n = 0;
            // The stop flag is read once per 64 messages: a load per message would be measured too.
            while (!stop.load(std::memory_order_relaxed)) {
                for (int i = 0; i < 64; ++i, ++n) {
                    const std::size_t p = n % pubs.size();
                    pubs[p].link->packet(Publish{false, 0, false, topics[p], 0, payload});
                }
            }
            published[static_cast<std::size_t>(t)] = n;
            for (auto& c : pubs) {
                c.link->packet(Disconnect{});
                c.link->closed(DisconnectReason::normal);
            }
        });
    }
    while (ready.load() < threads) std::this_thread::yield();
    const auto start = Clock::now();
    go.store(true, std::memory_order_release);
    std::this_thread::sleep_for(duration);  // the measured interval itself, not a wait for an event
    stop.store(true, std::memory_order_relaxed);
    for (auto& w : workers) w.join();
    Result r;
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    for (auto n : published) r.published += n;
    for (auto& s : subscribers) {
        r.deliveries += s.conn->received.load();
        s.link->closed(DisconnectReason::network_error);
    }
    r.expected = r.published * static_cast<std::uint64_t>(subscribers_per_topic);
    return r;
}

std::vector<int> parse_list(const std::string& s) {
    std::vector<int> out;
    for (std::size_t pos = 0; pos <= s.size();) {
        const auto comma = s.find(',', pos);
        const int v = std::atoi(s.substr(pos, comma - pos).c_str());
        if (v < 1 || v > 256) throw std::invalid_argument("--threads: a comma-separated list of 1..256");
        out.push_back(v);
        if (comma == std::string::npos) break;
        pos = comma + 1;
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::string(argv[1]) == "--help") {
        std::puts("usage: mqgate-core-bench [--scenario fanin|fanout|all] [--threads 1,2,4,8] [--duration 3]");
        return 0;
    }
    std::vector<std::string> scenarios;
    std::vector<int> thread_counts;
    double seconds = 0;
    try {
        mqgate::bench::Args args(argc, argv, 1);
        const std::string scenario = args.str("scenario", "all");
        if (scenario != "all" && scenario != "fanin" && scenario != "fanout")
            throw std::invalid_argument("--scenario: fanin, fanout or all");
        scenarios = scenario == "all" ? std::vector<std::string>{"fanin", "fanout"} : std::vector{scenario};
        thread_counts = parse_list(args.str("threads", "1,2,4,8"));
        seconds = args.number("duration", 3);
        if (!(seconds > 0 && seconds <= 600)) throw std::invalid_argument("--duration: seconds, 0 to 600");
        args.check_all_used();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mqgate-core-bench: %s\n", e.what());
        return 2;
    }

    int status = 0;
    for (const auto& scenario : scenarios) {
        double base = 0;
        for (int t : thread_counts) {
            const Result r = run(scenario, t, std::chrono::duration<double>(seconds));
            const double rate = r.deliveries / r.seconds;
            if (base == 0) base = rate;
            std::printf("{\"scenario\":\"core-%s\",\"threads\":%d,\"published\":%llu,\"deliveries\":%llu,"
                        "\"deliveries_per_s\":%.0f,\"vs_first\":%.3f}\n",
                        scenario.c_str(), t, static_cast<unsigned long long>(r.published),
                        static_cast<unsigned long long>(r.deliveries), rate, rate / base);
            std::fflush(stdout);
            if (r.deliveries != r.expected) {
                std::fprintf(stderr, "core-%s T=%d: %llu deliveries, %llu expected (published x fan-out)\n",
                             scenario.c_str(), t, static_cast<unsigned long long>(r.deliveries),
                             static_cast<unsigned long long>(r.expected));
                status = 1;
            }
        }
    }
    return status;
}
