#include "support/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

namespace mqgate::log {
namespace {
std::atomic<Level> current{Level::info};
std::mutex write_mutex;
}  // namespace

void set_level(Level level) noexcept { current.store(level, std::memory_order_relaxed); }

bool enabled(Level level) noexcept { return level >= current.load(std::memory_order_relaxed) && level != Level::off; }

const char* to_string(Level level) noexcept {
    switch (level) {
        case Level::trace: return "trace";
        case Level::debug: return "debug";
        case Level::info: return "info";
        case Level::warn: return "warn";
        case Level::error: return "error";
        case Level::off: return "off";
    }
    return "?";
}

std::optional<Level> parse_level(std::string_view name) noexcept {
    for (Level l : {Level::trace, Level::debug, Level::info, Level::warn, Level::error, Level::off})
        if (name == to_string(l)) return l;
    return std::nullopt;
}

std::string escape_controls(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte != 0x7f) {
            out += c;
            continue;
        }
        constexpr char hex[] = "0123456789abcdef";
        out += "\\x";
        out += hex[byte >> 4];
        out += hex[byte & 0xf];
    }
    return out;
}

void write(Level level, std::string_view message) {
    using namespace std::chrono;
    const auto now = system_clock::now();
    const std::time_t t = system_clock::to_time_t(now);
    const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char stamp[64];
    std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    const std::string line = escape_controls(message);
    std::lock_guard lock(write_mutex);
    std::fprintf(stderr, "%s %-5s %.*s\n", stamp, to_string(level), static_cast<int>(line.size()), line.data());
}

}  // namespace mqgate::log
