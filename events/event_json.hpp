// Broker events as JSON, with EMQX's field names (DESIGN.md), for REST,
// the streams and $SYS payloads.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "mqtt/events.hpp"

namespace mqgate::events {

// "2024-05-01T12:34:56.789Z"
std::string rfc3339_utc(std::int64_t epoch_ms);

// The event object; `seq` is the event log's sequence number.
nlohmann::json event_to_json(std::uint64_t seq, const mqtt::Event& event);

}  // namespace mqgate::events
