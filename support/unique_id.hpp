// Ids for things the API hands out (publishes, requests to devices).
#pragma once

#include <string>

namespace mqgate {

// Unique for the life of the process and, thanks to the start time, across
// restarts: 16 hex digits of start time (µs) then 16 of a counter.
// Thread-safe. Only [0-9A-F]: safe as a topic level.
std::string next_unique_id();

}  // namespace mqgate
