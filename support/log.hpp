// A small leveled logger to stderr. Formatting happens only when the level is
// enabled, so hot paths pay one relaxed atomic load at the default level.
#pragma once

#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace mqgate::log {

enum class Level { trace, debug, info, warn, error, off };

void set_level(Level level) noexcept;
bool enabled(Level level) noexcept;
// One line on stderr; control bytes in `message` (a bad file's content
// quoted in an error, a newline that would forge a line) are escaped.
void write(Level level, std::string_view message);
// `text` with bytes below 0x20 and 0x7f written as \xNN (UTF-8 is kept).
std::string escape_controls(std::string_view text);
std::optional<Level> parse_level(std::string_view name) noexcept;
const char* to_string(Level level) noexcept;

}  // namespace mqgate::log

#define MQGATE_LOG(level, expr)                                            \
    do {                                                                   \
        if (::mqgate::log::enabled(level)) {                               \
            std::ostringstream mqgate_log_os_;                             \
            mqgate_log_os_ << expr;                                        \
            ::mqgate::log::write(level, mqgate_log_os_.str());             \
        }                                                                  \
    } while (0)

#define LOG_TRACE(expr) MQGATE_LOG(::mqgate::log::Level::trace, expr)
#define LOG_DEBUG(expr) MQGATE_LOG(::mqgate::log::Level::debug, expr)
#define LOG_INFO(expr) MQGATE_LOG(::mqgate::log::Level::info, expr)
#define LOG_WARN(expr) MQGATE_LOG(::mqgate::log::Level::warn, expr)
#define LOG_ERROR(expr) MQGATE_LOG(::mqgate::log::Level::error, expr)
