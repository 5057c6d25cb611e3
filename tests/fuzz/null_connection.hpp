// A connection that takes whatever the broker sends and forgets it: for fuzz
// targets that need clients in the broker but check something else.
#pragma once

#include <chrono>
#include <cstddef>

#include "mqtt/connection.hpp"

namespace mqgate::fuzz {

class NullConnection final : public mqtt::Connection {
public:
    void send(mqtt::Frame) override {}
    void close(mqtt::DisconnectReason) override { closing = true; }
    void set_keepalive(std::chrono::seconds) override {}
    std::size_t buffered_bytes() const noexcept override { return 0; }
    mqtt::PeerInfo peer() const override { return {"127.0.0.1", 5555, 1883, "mqtt", ""}; }
    bool closing = false;
};

}  // namespace mqgate::fuzz
