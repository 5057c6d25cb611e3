// REST publish driven by wrk (POST /api/v1/publish with a JSON body) while an
// MQTT subscriber counts what the broker delivers from it.
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "bench/roles.hpp"
#include "bench/scenarios.hpp"

namespace mqgate::bench {

namespace {

using namespace std::chrono_literals;

std::string publish_body(const std::string& topic, std::size_t payload, int qos) {
    return nlohmann::json{{"topic", topic}, {"payload", std::string(payload, 'x')}, {"qos", qos}, {"retain", false}}
        .dump();
}

// One request over a plain socket: the HTTP status, or 0 when nothing answered.
int probe(const tcp::endpoint& http, const std::string& body) {
    asio::io_context io;
    tcp::socket s(io);
    boost::system::error_code ec;
    s.connect(http, ec);
    if (ec) return 0;
    const std::string request = "POST /api/v1/publish HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                "Connection: close\r\nContent-Length: " +
                                std::to_string(body.size()) + "\r\n\r\n" + body;
    asio::write(s, asio::buffer(request), ec);
    if (ec) return 0;
    std::string reply;
    char buf[512];
    while (reply.size() < 12) {
        const auto n = s.read_some(asio::buffer(buf), ec);
        if (ec) break;
        reply.append(buf, n);
    }
    if (reply.size() < 12 || !reply.starts_with("HTTP/1.")) return 0;
    return std::atoi(reply.substr(9, 3).c_str());
}

double children_cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_CHILDREN, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double find_number(const std::string& text, const std::string& pattern) {
    std::smatch m;
    if (std::regex_search(text, m, std::regex(pattern))) return std::stod(m[1].str());
    return 0;
}

}  // namespace

nlohmann::json run_http_publish(const Common& c, Args& a) {
    const auto http_port = static_cast<unsigned short>(a.integer("http-port", 8080));
    const auto connections = a.integer("connections", 32);
    const auto wrk_threads = a.integer("wrk-threads", 1);
    const auto payload = static_cast<std::size_t>(a.integer("payload", 64));
    const auto qos = static_cast<int>(a.integer("qos", 0));
    const auto wrk = a.str("wrk", "wrk");
    a.check_all_used();
    const std::string topic = "bench/http";
    nlohmann::json out{{"scenario", "http-publish"},
                       {"unit", "req/s"},
                       {"params", {{"connections", connections}, {"payload", payload}, {"qos", qos}}}};

    const tcp::endpoint http(c.broker.address(), http_port);
    const auto body = publish_body(topic, payload, qos);
    const int status = probe(http, body);
    if (status != 200 && status != 202) {
        out["skipped"] = "endpoint not available (POST /api/v1/publish answered " +
                         (status ? std::to_string(status) : std::string("nothing")) + ")";
        return out;
    }

    const std::string script = "/tmp/mqgate-bench-" + std::to_string(::getpid()) + ".lua";
    {
        std::ofstream lua(script);
        nlohmann::json quoted = body;  // a JSON string literal is a valid Lua string literal here
        lua << "wrk.method = \"POST\"\nwrk.body = " << quoted.dump()
            << "\nwrk.headers[\"Content-Type\"] = \"application/json\"\n";
    }

    Pool pool(c.threads);
    std::vector<Flow> flows;
    Subscriber sub(pool.next(), topic, static_cast<std::uint8_t>(qos), flows, 256 * 1024);
    sub.start(c.broker, "bench-http-sub-" + std::to_string(::getpid()));
    if (!wait_until([&] { return sub.subscribed.load() || errors().count.load() > 0; }, 30s) ||
        errors().count.load() > 0)
        throw std::runtime_error("subscriber did not connect");
    const auto delivered_before = sub.foreign.load();

    const std::string cmd = wrk + " -t" + std::to_string(wrk_threads) + " -c" + std::to_string(connections) +
                            " -d" + std::to_string(static_cast<long>(c.duration)) + "s -s " + script + " http://" +
                            http.address().to_string() + ":" + std::to_string(http_port) + "/api/v1/publish 2>&1";
    const double children_before = children_cpu_seconds();
    const auto from = Clock::read(c.broker_pid);
    std::string report;
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
        char buf[4096];
        while (std::fgets(buf, sizeof buf, p)) report += buf;
        ::pclose(p);
    }
    const auto to = Clock::read(c.broker_pid);
    const double wrk_cpu = children_cpu_seconds() - children_before;
    ::unlink(script.c_str());

    put_cpu(out, from, to);
    const double seconds = out["seconds"].get<double>();
    const double requests_per_s = find_number(report, R"(Requests/sec:\s*([0-9.]+))");
    const double total_requests = find_number(report, R"(([0-9]+) requests in)");
    const double failed = find_number(report, R"(Non-2xx or 3xx responses:\s*([0-9]+))");
    // Deliveries trail the last responses only by the broker's queue: drain.
    auto last = sub.foreign.load();
    wait_until(
        [&] {
            const auto now = sub.foreign.load();
            if (now - delivered_before >= total_requests - failed) return true;
            if (now == last) return false;
            last = now;
            return false;
        },
        3s);
    pool.stop();
    const auto delivered = sub.foreign.load() - delivered_before;
    out["rate"] = requests_per_s;
    out["requests"] = total_requests;
    out["non_2xx"] = failed;
    out["deliveries_per_s"] = static_cast<double>(delivered) / seconds;
    out["delivered"] = delivered;
    out["lost"] = total_requests - failed > static_cast<double>(delivered)
                      ? total_requests - failed - static_cast<double>(delivered)
                      : 0.0;
    out["wrk_cpu"] = wrk_cpu / seconds;
    if (requests_per_s == 0) out["wrk_output"] = report;
    return out;
}

}  // namespace mqgate::bench
