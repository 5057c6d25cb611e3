// K idle MQTT connections: how fast the broker accepts them (CONNECT to
// CONNACK, a bounded number in progress at a time) and how much memory each
// costs it (VmRSS of the broker before and after, per connection).
#include <unistd.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

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

// Starts connections one after another on its thread, `concurrency` in
// progress at once.
class Launcher {
public:
    Launcher(asio::io_context& io, const tcp::endpoint& broker, std::string prefix, std::size_t count)
        : io_(io), broker_(broker), prefix_(std::move(prefix)), count_(count) {}

    void launch() {
        if (started_ >= count_) return;
        conns_.push_back(std::make_unique<IdleConn>(io_, *this));
        conns_.back()->start(broker_, prefix_ + std::to_string(started_++));
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
    std::size_t started_ = 0;
    std::vector<std::unique_ptr<IdleConn>> conns_;
};

void IdleConn::on_connack() { launcher_.connected(); }

}  // namespace

nlohmann::json run_idle(const Common& c, Args& a) {
    const auto total = static_cast<std::size_t>(a.integer("connections", 10000));
    const auto concurrency = static_cast<std::size_t>(std::max(1L, a.integer("concurrency", 100)));
    const double settle = a.number("settle", 1);
    a.check_all_used();
    nlohmann::json out{{"scenario", "idle"},
                       {"unit", "conn/s"},
                       {"params", {{"connections", total}, {"concurrency", concurrency}}}};

    Pool pool(c.threads);
    std::vector<std::unique_ptr<Launcher>> launchers;
    const unsigned n = std::max(1u, c.threads);
    for (unsigned t = 0; t < n; ++t)
        launchers.push_back(std::make_unique<Launcher>(pool.next(), c.broker,
                                                       "bench-idle-" + std::to_string(::getpid()) + "-" +
                                                           std::to_string(t) + "-",
                                                       total / n + (t < total % n ? 1 : 0)));
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
