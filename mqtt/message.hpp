// An application message as the broker routes it. Immutable once built and
// shared by pointer: one allocation serves every subscriber it reaches.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace mqgate::mqtt {

struct Message {
    std::string topic;
    std::string payload;  // binary
    std::uint8_t qos = 0;
    bool retain = false;
    std::int64_t timestamp_ms = 0;  // when the broker accepted it (epoch ms)
    // The publishing client's id; empty for messages published through the
    // API. A tracked message (Broker::publish with a tag) holds its tag here
    // after a NUL byte, which no MQTT client id can contain [MQTT-1.5.3-2]:
    // the mark is stored with the message and survives a restart.
    std::string origin_client_id;
    // Its id in the durable store once written (persistence.hpp), 0 before.
    // Set and read only under the broker's lock.
    mutable std::uint64_t store_id = 0;

    // Are acknowledgements of this message reported (Broker::set_ack_listener)?
    // c_str() is never empty, so a client's message costs one compare.
    bool tracked() const noexcept { return origin_client_id.c_str()[0] == '\0' && !origin_client_id.empty(); }
    // The tag it was published with; empty when not tracked.
    std::string_view tag() const noexcept {
        return tracked() ? std::string_view(origin_client_id).substr(1) : std::string_view();
    }
    // Who published it, as events and webhooks name them: the client's id, or
    // "" for the API (tracked messages included).
    std::string_view publisher() const noexcept {
        return tracked() ? std::string_view() : std::string_view(origin_client_id);
    }
};

using MessagePtr = std::shared_ptr<const Message>;

}  // namespace mqgate::mqtt
