#include "bench/harness.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

namespace mqgate::bench {

Pool::Pool(unsigned threads) {
    for (unsigned i = 0; i < std::max(threads, 1u); ++i) {
        contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
        guards_.push_back(boost::asio::make_work_guard(*contexts_.back()));
    }
    for (auto& c : contexts_) threads_.emplace_back([io = c.get()] { io->run(); });
}

boost::asio::io_context& Pool::next() { return *contexts_[next_++ % contexts_.size()]; }

void Pool::stop() {
    for (auto& c : contexts_) c->stop();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
}

bool wait_until(const std::function<bool()>& done, std::chrono::duration<double> limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

void pause_for(std::chrono::duration<double> d) {
    std::this_thread::sleep_for(std::chrono::duration_cast<std::chrono::nanoseconds>(d));
}

double percentile_us(const std::vector<std::uint64_t>& sorted_ns, double q) {
    if (sorted_ns.empty()) return 0;
    const auto i =
        std::min(sorted_ns.size() - 1, static_cast<std::size_t>(q * static_cast<double>(sorted_ns.size())));
    return static_cast<double>(sorted_ns[i]) / 1000.0;
}

double self_cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return secs(u.ru_utime) + secs(u.ru_stime);
}

std::optional<double> process_cpu_seconds(int pid) {
    if (pid <= 0) return std::nullopt;
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(f, line)) return std::nullopt;
    // Fields after the parenthesised command name; utime and stime are 14 and 15.
    const auto close = line.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    double utime = 0;
    double stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) utime = std::stod(field);
        if (i == 15) stime = std::stod(field);
    }
    return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::optional<long> process_rss_kib(int pid) {
    if (pid <= 0) return std::nullopt;
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string key;
    while (f >> key) {
        if (key == "VmRSS:") {
            long kib = 0;
            f >> kib;
            return kib;
        }
        f.ignore(1 << 16, '\n');
    }
    return std::nullopt;
}

Clock Clock::read(int broker_pid) {
    return {std::chrono::steady_clock::now(), self_cpu_seconds(), process_cpu_seconds(broker_pid)};
}

void put_cpu(nlohmann::json& out, const Clock& from, const Clock& to) {
    const double wall = std::chrono::duration<double>(to.wall - from.wall).count();
    out["seconds"] = wall;
    out["gen_cpu"] = (to.self_cpu - from.self_cpu) / wall;
    if (from.broker_cpu && to.broker_cpu) out["broker_cpu"] = (*to.broker_cpu - *from.broker_cpu) / wall;
}

}  // namespace mqgate::bench
