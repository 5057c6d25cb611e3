// Topic names and filters (§4.7): validation and matching. Pure functions.
#pragma once

#include <string_view>
#include <system_error>

namespace mqgate::mqtt {

// A topic name as a PUBLISH carries it: non-empty, valid UTF-8 (validate_utf8),
// no '+' or '#'.
std::error_code validate_topic_name(std::string_view topic) noexcept;

// A topic filter as SUBSCRIBE/UNSUBSCRIBE carry it: non-empty, valid UTF-8,
// '#' only as the whole last level, '+' only as a whole level.
std::error_code validate_topic_filter(std::string_view filter) noexcept;

// Does `filter` match `topic`? Both assumed valid. Applies the '$' rule
// [MQTT-4.7.2-1]: a wildcard at the first level never matches a topic
// starting with '$'. No normalisation [MQTT-4.7.3-4].
bool topic_matches(std::string_view filter, std::string_view topic) noexcept;

// Topics only the broker writes: those starting with "$SYS", as Mosquitto
// decides it. Clients (MQTT, REST, streams, wills) are refused there.
constexpr bool is_sys_topic(std::string_view topic) noexcept { return topic.starts_with("$SYS"); }

// Number of levels ('/'-separated parts) in a name or filter.
std::size_t topic_levels(std::string_view topic) noexcept;

}  // namespace mqgate::mqtt
