// mqgate-bench: the load generator behind bench/run. One scenario per run,
// one JSON line of results on stdout.
#include <cstdio>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>

#include "bench/conn.hpp"
#include "bench/scenarios.hpp"

namespace {

const char* usage =
    "usage: mqgate-bench SCENARIO [--flag value]...\n"
    "scenarios: fanin-qos0 fanin-qos1 fanout latency large idle retained http-publish requests ws-fanout\n"
    "           ws-throughput webhooks\n"
    "common:    --host 127.0.0.1 --port 1883 --sub-port PORT (subscribers' broker; default --port) --threads 1\n"
    "           --duration 10 --warmup 1 --drain 2\n"
    "           --broker-pid PID (report the broker's CPU and, for idle and retained, its memory)\n"
    "fanin-*:   --publishers 10 --payload 64 --e2e-window 500|50 --ack-window 20 --sub-qos Q --filter '#'\n"
    "           --sub-session clean|persistent (persistent: clean session 0, fixed client id)\n"
    "fanout:    --subscribers 100 --qos 0 --payload 64 --e2e-window 100 --ack-window 20\n"
    "latency:   --rate 5000 --qos 1 --payload 64\n"
    "large:     --payload 65536 --qos 0 --e2e-window 8\n"
    "idle:      --connections 10000 --concurrency 100 --settle 1 --transport mqtt|mqtt-ws|stream|sse --http-port N\n"
    "retained:  --messages 100000 --window 100 --settle 1\n"
    "http-publish: --http-port 8080 --connections 32 --wrk-threads 1 --payload 64 --qos 0 --wrk wrk\n"
    "requests:  --devices 10 --parallel 8 --payload 64 --http-port 0 (0: bare MQTT round trips only)\n"
    "ws-fanout: --http-port 8080 --clients 1000 --payload 64 --e2e-window 20 --overload X (then X times the saturated rate, open loop) --deflate 1 (clients offer permessage-deflate)\n"
    "ws-throughput: --http-port 8080 --publishers 10 --payload 64 --e2e-window 500\n"
    "webhooks:  --receiver-port P (mqgate's webhook URL's) --publishers 16 --payload 64 --e2e-window 500\n"
    "           --batch N (reported; the gateway's batch.max_events)\n";

}  // namespace

int main(int argc, char** argv) {
    using namespace mqgate::bench;
    if (argc < 2 || std::string(argv[1]) == "--help") {
        std::fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const std::string scenario = argv[1];
    try {
        Args args(argc, argv, 2);
        Common c;
        c.broker = {boost::asio::ip::make_address(args.str("host", "127.0.0.1")),
                    static_cast<unsigned short>(args.integer("port", 1883))};
        c.subscriber_broker = {c.broker.address(), static_cast<unsigned short>(args.integer("sub-port", c.broker.port()))};
        c.threads = static_cast<unsigned>(args.integer("threads", 1));
        c.duration = args.number("duration", 10);
        c.warmup = args.number("warmup", 1);
        c.drain = args.number("drain", 2);
        c.broker_pid = static_cast<int>(args.integer("broker-pid", 0));
        const std::map<std::string, nlohmann::json (*)(const Common&, Args&)> scenarios{
            {"fanin-qos0", [](const Common& c, Args& a) { return run_fanin(c, a, 0); }},
            {"fanin-qos1", [](const Common& c, Args& a) { return run_fanin(c, a, 1); }},
            {"fanout", run_fanout},
            {"latency", run_latency},
            {"large", run_large},
            {"idle", run_idle},
            {"retained", run_retained},
            {"http-publish", run_http_publish},
            {"requests", run_requests},
            {"webhooks", run_webhooks},
            {"ws-fanout", run_ws_fanout},
            {"ws-throughput", run_ws_throughput},
        };
        const auto it = scenarios.find(scenario);
        if (it == scenarios.end()) throw std::invalid_argument("unknown scenario " + scenario);
        auto result = it->second(c, args);
        auto& log = errors();
        result["errors"] = log.count.load();
        if (log.has_first.load()) result["first_error"] = log.first;
        std::cout << result.dump() << std::endl;
        return 0;
    } catch (const std::invalid_argument& e) {
        std::cerr << "mqgate-bench: " << e.what() << "\n" << usage;
        return 2;
    } catch (const std::exception& e) {
        auto& log = errors();
        std::cerr << "mqgate-bench " << scenario << ": " << e.what()
                  << (log.has_first.load() ? " (" + log.first + ")" : std::string()) << "\n";
        return 1;
    }
}
