// An application message as the broker routes it. Immutable once built and
// shared by pointer: one allocation serves every subscriber it reaches.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace mqgate::mqtt {

struct Message {
    std::string topic;
    std::string payload;  // binary
    std::uint8_t qos = 0;
    bool retain = false;
    std::int64_t timestamp_ms = 0;  // when the broker accepted it (epoch ms)
    std::string origin_client_id;   // empty for messages published through the API
    // Its id in the durable store once written (persistence.hpp), 0 before.
    // Set and read only under the broker's lock.
    mutable std::uint64_t store_id = 0;
};

using MessagePtr = std::shared_ptr<const Message>;

}  // namespace mqgate::mqtt
