// What every scenario shares: io_context threads, bounded waits, and the CPU
// and memory readings that show who the limit was (broker or generator).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <nlohmann/json.hpp>

namespace mqgate::bench {

// One io_context per thread; connections are spread round-robin and stay on
// their thread, so no connection needs a lock.
class Pool {
public:
    explicit Pool(unsigned threads);
    ~Pool() { stop(); }
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;

    boost::asio::io_context& next();
    void stop();

private:
    using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
    std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
    std::vector<Guard> guards_;
    std::vector<std::thread> threads_;
    std::size_t next_ = 0;
};

// Polls `done` every few milliseconds for at most `limit`; false on timeout.
bool wait_until(const std::function<bool()>& done, std::chrono::duration<double> limit);
void pause_for(std::chrono::duration<double> d);

// The q-quantile (0..1) of sorted nanosecond samples, in microseconds; 0 when empty.
double percentile_us(const std::vector<std::uint64_t>& sorted_ns, double q);

double self_cpu_seconds();
std::optional<double> process_cpu_seconds(int pid);  // utime + stime from /proc
std::optional<long> process_rss_kib(int pid);        // VmRSS from /proc

// A reading of time, the generator's CPU and the broker's CPU.
struct Clock {
    std::chrono::steady_clock::time_point wall;
    double self_cpu;
    std::optional<double> broker_cpu;
    static Clock read(int broker_pid);
};
// Adds wall seconds, generator cores used and broker cores used between two readings.
void put_cpu(nlohmann::json& out, const Clock& from, const Clock& to);

struct Common {
    boost::asio::ip::tcp::endpoint broker;
    // Where subscribers connect (--sub-port): another node than the
    // publishers' when measuring through a bridge; the same broker by default.
    boost::asio::ip::tcp::endpoint subscriber_broker;
    int broker_pid = 0;
    unsigned threads = 1;
    double duration = 10;
    double warmup = 1;
    double drain = 2;  // seconds without progress after which undelivered messages count as lost
};

}  // namespace mqgate::bench
