// Request/response round trips (issue 14): `devices` MQTT devices answer
// every request on its response topic, and callers measure the round trip
// two ways through the same broker:
// - bare MQTT: a caller publishes bench/req/<device>/<slot> and waits for the
//   reply on bench/res/<device>/<slot>, subscribed itself (works on any broker);
// - REST (mqgate only, --http-port > 0): POST /api/v1/requests over keep-alive
//   HTTP connections, with {request_id} in both topics.
// Each is measured one request at a time (latency: what mqgate's REST path
// adds over the bare MQTT round trip) and `parallel` at a time (round trips
// per second). Requests and replies are QoS 1 both ways in both.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include "bench/roles.hpp"
#include "bench/scenarios.hpp"
#include "mqtt/codec.hpp"

namespace mqgate::bench {

namespace {

using namespace std::chrono_literals;

void append_puback(std::string& out, std::uint16_t id) {
    const char ack[4] = {0x40, 0x02, static_cast<char>(id >> 8), static_cast<char>(id & 0xff)};
    out.append(ack, sizeof ack);
}

std::uint16_t next_packet_id(std::uint16_t& id) {
    const auto current = id;
    id = id == 0xffff ? 1 : id + 1;
    return current;
}

void subscribe(Conn& conn, const std::string& filter) {
    mqtt::Subscribe s;
    s.packet_id = 1;
    s.subscriptions.push_back({filter, 1});
    mqtt::encode(s, conn.out());
    conn.flush();
}

// A SUBACK granting the one filter, or an error recorded.
bool suback_ok(std::string_view body, const std::string& filter) {
    if (body.size() == 3 && static_cast<std::uint8_t>(body[2]) <= 2) return true;
    errors().record("subscribe refused: " + filter);
    return false;
}

// Subscribed to bench/req/<index>/+: answers each request on
// bench/res/<index>/<last level> with the request's payload.
class Device : public Conn {
public:
    Device(asio::io_context& io, unsigned index)
        : Conn(io, 64 * 1024),
          prefix_("bench/res/" + std::to_string(index) + "/"),
          filter_("bench/req/" + std::to_string(index) + "/+") {}
    std::atomic<bool> subscribed{false};

private:
    void on_connack() override { subscribe(*this, filter_); }
    void on_packet(std::uint8_t first, std::string_view body) override {
        if ((first >> 4) == 9) {
            subscribed.store(suback_ok(body, filter_));
            return;
        }
        PublishView p;
        if (!parse_publish(first, body, p)) return;  // PUBACKs of our replies
        if (p.qos == 1) append_puback(out(), p.packet_id);
        const auto topic = prefix_ + std::string(p.topic.substr(p.topic.rfind('/') + 1));
        mqtt::encode_publish_header(false, 1, false, topic, next_packet_id(next_id_), p.payload.size(), out());
        out().append(p.payload);
    }
    void on_read_done() override { flush(); }

    std::string prefix_;
    std::string filter_;
    std::uint16_t next_id_ = 1;
};

// What callers of one phase share: the measured window and its counts.
struct Phase {
    LatencyWindow window;
    std::atomic<bool> running{false};
    std::atomic<std::uint64_t> completed{0};  // round trips finished, in or out of the window
    std::atomic<std::uint64_t> in_flight{0};
};

// One round trip finished: counted, and its latency kept when it was sent
// inside the measured window.
void record(Phase& phase, std::vector<std::uint64_t>& samples, std::uint64_t sent_ns) {
    if (sent_ns >= phase.window.from_ns.load(std::memory_order_relaxed) &&
        sent_ns < phase.window.to_ns.load(std::memory_order_relaxed))
        samples.push_back(now_ns() - sent_ns);
    phase.completed.fetch_add(1, std::memory_order_relaxed);
}

// One MQTT connection keeping `slots` requests outstanding, each slot sending
// its next request when its reply arrives. The payload carries the slot and
// the send time; devices echo it.
class MqttCaller : public Conn {
public:
    MqttCaller(asio::io_context& io, Phase& phase, unsigned slots, unsigned devices, std::size_t payload)
        : Conn(io, 64 * 1024), phase_(phase), slots_(slots), devices_(devices),
          payload_(std::max(payload, stamp_size), 'x') {}
    std::atomic<bool> subscribed{false};
    std::vector<std::uint64_t> samples;  // read once the phase has nothing in flight

    void begin() {
        asio::post(context(), [this] {
            for (unsigned slot = 0; slot < slots_; ++slot) send(slot);
            flush();
        });
    }

private:
    void send(std::uint32_t slot) {
        if (!phase_.running.load(std::memory_order_relaxed)) return;
        phase_.in_flight.fetch_add(1);
        const auto sent = now_ns();
        std::memcpy(payload_.data(), &slot, sizeof slot);
        std::memcpy(payload_.data() + 4, &sent, sizeof sent);
        const auto topic = "bench/req/" + std::to_string(next_device_++ % devices_) + "/" + std::to_string(slot);
        mqtt::encode_publish_header(false, 1, false, topic, next_packet_id(next_id_), payload_.size(), out());
        out().append(payload_);
    }

    void on_connack() override { subscribe(*this, "bench/res/+/+"); }
    void on_packet(std::uint8_t first, std::string_view body) override {
        if ((first >> 4) == 9) {
            subscribed.store(suback_ok(body, "bench/res/+/+"));
            return;
        }
        PublishView p;
        if (!parse_publish(first, body, p)) return;  // PUBACKs of our requests
        if (p.qos == 1) append_puback(out(), p.packet_id);
        if (p.payload.size() < stamp_size) return errors().record("reply without the request's stamp");
        std::uint32_t slot;
        std::uint64_t sent;
        std::memcpy(&slot, p.payload.data(), sizeof slot);
        std::memcpy(&sent, p.payload.data() + 4, sizeof sent);
        record(phase_, samples, sent);
        send(slot);
        phase_.in_flight.fetch_sub(1);
    }
    void on_read_done() override { flush(); }

    Phase& phase_;
    unsigned slots_;
    unsigned devices_;
    std::string payload_;
    std::uint64_t next_device_ = 0;
    std::uint16_t next_id_ = 1;
};

// One keep-alive HTTP connection sending POST /api/v1/requests, one at a
// time, to the devices in turn.
class HttpCaller {
public:
    HttpCaller(asio::io_context& io, Phase& phase, const std::vector<std::string>& requests, unsigned first)
        : socket_(io), phase_(phase), requests_(requests), next_(first) {}
    std::vector<std::uint64_t> samples;  // read once the phase has nothing in flight

    void start(const tcp::endpoint& http) {
        socket_.async_connect(http, [this](const boost::system::error_code& ec) {
            if (ec) return errors().record("http connect: " + ec.message());
            boost::system::error_code ignored;
            socket_.set_option(tcp::no_delay(true), ignored);
            send();
        });
    }

private:
    // The request in flight failed: the connection stops.
    void fail(const std::string& what) {
        errors().record(what);
        phase_.in_flight.fetch_sub(1);
    }

    void send() {
        if (!phase_.running.load(std::memory_order_relaxed)) return;
        phase_.in_flight.fetch_add(1);
        sent_ = now_ns();
        const auto& request = requests_[next_++ % requests_.size()];
        asio::async_write(socket_, asio::buffer(request), [this](const boost::system::error_code& ec, std::size_t) {
            if (ec) return fail("http write: " + ec.message());
            asio::async_read_until(socket_, asio::dynamic_buffer(in_), "\r\n\r\n",
                                   [this](const boost::system::error_code& ec, std::size_t head) {
                                       if (ec) return fail("http read: " + ec.message());
                                       read_body(head);
                                   });
        });
    }

    void read_body(std::size_t head) {
        const std::string_view header(in_.data(), head);
        if (!header.starts_with("HTTP/1.1 200 "))
            return fail("POST /api/v1/requests answered " + std::string(header.substr(0, header.find('\r'))));
        const auto at = header.find("Content-Length: ");
        const auto length = at == std::string_view::npos ? 0 : std::stoul(std::string(header.substr(at + 16, 12)));
        const auto have = in_.size() - head;
        auto done = [this, head, length](const boost::system::error_code& ec, std::size_t) {
            if (ec) return fail("http read: " + ec.message());
            in_.erase(0, head + length);
            record(phase_, samples, sent_);
            phase_.in_flight.fetch_sub(1);
            send();
        };
        if (have >= length) return done({}, 0);
        asio::async_read(socket_, asio::dynamic_buffer(in_), asio::transfer_exactly(length - have), std::move(done));
    }

    tcp::socket socket_;
    Phase& phase_;
    const std::vector<std::string>& requests_;
    std::size_t next_;
    std::uint64_t sent_ = 0;
    std::string in_;
};

// One POST /api/v1/requests per device, kept-alive, in wire form.
std::vector<std::string> http_requests(unsigned devices, std::size_t payload) {
    std::vector<std::string> out;
    for (unsigned d = 0; d < devices; ++d) {
        const auto body = nlohmann::json{{"topic", "bench/req/" + std::to_string(d) + "/{request_id}"},
                                         {"response_topic", "bench/res/" + std::to_string(d) + "/{request_id}"},
                                         {"payload", std::string(payload, 'x')}}
                              .dump();
        out.push_back("POST /api/v1/requests HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      "Content-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + body);
    }
    return out;
}

// Warm-up, the measured window, then the callers stop and what is in flight
// finishes. Adds rate, p50/p99 and samples under `prefix`.
template <class Callers>
void measure(const Common& c, Phase& phase, Callers& callers, const std::string& prefix, nlohmann::json& out,
             bool cpu) {
    pause_for(std::chrono::duration<double>(c.warmup));
    const auto from = Clock::read(c.broker_pid);
    const auto completed_from = phase.completed.load();
    phase.window.from_ns.store(now_ns());
    pause_for(std::chrono::duration<double>(c.duration));
    phase.window.to_ns.store(now_ns());
    const auto completed_to = phase.completed.load();
    const auto to = Clock::read(c.broker_pid);
    phase.running.store(false);
    if (!wait_until([&] { return phase.in_flight.load() == 0; }, 30s))
        throw std::runtime_error(prefix + "round trips still in flight 30 s after the window");
    nlohmann::json cpu_out;
    put_cpu(cpu_out, from, to);
    const double seconds = cpu_out["seconds"].get<double>();
    if (cpu) out.update(cpu_out);
    std::vector<std::uint64_t> all;
    for (auto& caller : callers) all.insert(all.end(), caller->samples.begin(), caller->samples.end());
    std::sort(all.begin(), all.end());
    out[prefix + "rate"] = static_cast<double>(completed_to - completed_from) / seconds;
    out[prefix + "p50_us"] = percentile_us(all, 0.50);
    out[prefix + "p99_us"] = percentile_us(all, 0.99);
    out[prefix + "samples"] = all.size();
    out["delivered"] = out.value("delivered", std::uint64_t{0}) + phase.completed.load();
}

}  // namespace

nlohmann::json run_requests(const Common& c, Args& a) {
    const auto devices = static_cast<unsigned>(std::max(1L, a.integer("devices", 10)));
    const auto parallel = static_cast<unsigned>(std::max(1L, a.integer("parallel", 8)));
    const auto payload = static_cast<std::size_t>(a.integer("payload", 64));
    const auto http_port = static_cast<unsigned short>(a.integer("http-port", 0));
    a.check_all_used();
    nlohmann::json out{{"scenario", "requests"},
                       {"unit", "round trips/s"},
                       {"params", {{"devices", devices}, {"parallel", parallel}, {"payload", payload}}}};
    const auto tag = std::to_string(::getpid());

    Pool pool(c.threads);
    std::vector<std::unique_ptr<Device>> fleet;
    for (unsigned d = 0; d < devices; ++d) {
        fleet.push_back(std::make_unique<Device>(pool.next(), d));
        fleet.back()->start(c.broker, "bench-device-" + tag + "-" + std::to_string(d));
    }
    if (!wait_until([&] {
            return errors().count.load() > 0 ||
                   std::all_of(fleet.begin(), fleet.end(), [](auto& d) { return d->subscribed.load(); });
        },
                    60s) ||
        errors().count.load() > 0)
        throw std::runtime_error("devices did not connect and subscribe");

    // Callers live until the pool stops: their handlers hold `this`.
    std::vector<std::unique_ptr<Phase>> phases;
    std::vector<std::unique_ptr<MqttCaller>> mqtt_callers;
    std::vector<std::unique_ptr<HttpCaller>> http_callers;
    const auto requests = http_requests(devices, payload);

    // Bare MQTT: one caller connection with `slots` outstanding.
    auto run_mqtt = [&](unsigned slots, const std::string& prefix, bool cpu) {
        auto& phase = *phases.emplace_back(std::make_unique<Phase>());
        phase.running.store(true);
        std::vector<MqttCaller*> callers{
            mqtt_callers.emplace_back(std::make_unique<MqttCaller>(pool.next(), phase, slots, devices, payload)).get()};
        callers[0]->start(c.broker, "bench-caller-" + tag + "-" + prefix);
        if (!wait_until([&] { return callers[0]->subscribed.load() || errors().count.load() > 0; }, 30s) ||
            errors().count.load() > 0)
            throw std::runtime_error("the MQTT caller did not subscribe");
        callers[0]->begin();
        measure(c, phase, callers, prefix, out, cpu);
        asio::post(callers[0]->context(), [conn = callers[0]] { conn->close(); });
    };
    // REST: `connections` keep-alive connections, one request each at a time.
    auto run_rest = [&](unsigned connections, const std::string& prefix, bool cpu) {
        auto& phase = *phases.emplace_back(std::make_unique<Phase>());
        phase.running.store(true);
        std::vector<HttpCaller*> callers;
        for (unsigned i = 0; i < connections; ++i) {
            callers.push_back(
                http_callers.emplace_back(std::make_unique<HttpCaller>(pool.next(), phase, requests, i)).get());
            callers.back()->start(tcp::endpoint(c.broker.address(), http_port));
        }
        measure(c, phase, callers, prefix, out, cpu);
        if (errors().count.load() > 0) throw std::runtime_error("REST requests failed");
    };

    run_mqtt(1, "mqtt_", false);
    run_mqtt(parallel, "mqtt_parallel_", http_port == 0);
    if (http_port != 0) {
        run_rest(1, "rest_", false);
        run_rest(parallel, "rest_parallel_", true);
        out["added_p50_us"] = out["rest_p50_us"].get<double>() - out["mqtt_p50_us"].get<double>();
        out["added_p99_us"] = out["rest_p99_us"].get<double>() - out["mqtt_p99_us"].get<double>();
    }
    pool.stop();
    return out;
}

}  // namespace mqgate::bench
