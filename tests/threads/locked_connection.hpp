// A broker Connection for tests where threads meet: send() may come from any
// thread (as with the real transports); the frames are decoded into packets
// a test thread takes, waiting for them without polling.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <utility>
#include <vector>

#include "mqtt/codec.hpp"
#include "mqtt/connection.hpp"

namespace mqgate::mqtt::testing {

class LockedConnection final : public Connection {
public:
    void send(Frame frame) override {
        {
            std::lock_guard lock(mutex_);
            decoder_.feed(frame.head);
            if (frame.payload_of) decoder_.feed(frame.payload_of->payload);
            Packet p;
            std::error_code ec;
            while (decoder_.next(p, ec) == Decoder::Status::packet) packets_.push_back(std::move(p));
        }
        arrived_.notify_all();
    }
    void close(DisconnectReason) override {}
    void set_keepalive(std::chrono::seconds) override {}
    std::size_t buffered_bytes() const noexcept override { return 0; }
    PeerInfo peer() const override { return peer_; }

    std::vector<Packet> take() {
        std::lock_guard lock(mutex_);
        return std::exchange(packets_, {});
    }

    // What arrived, waiting up to `timeout` for at least one packet.
    std::vector<Packet> wait_take(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        arrived_.wait_for(lock, timeout, [this] { return !packets_.empty(); });
        return std::exchange(packets_, {});
    }

private:
    std::mutex mutex_;
    std::condition_variable arrived_;
    Decoder decoder_;
    std::vector<Packet> packets_;
    PeerInfo peer_{"127.0.0.1", 1, 1883, "mqtt", ""};
};

}  // namespace mqgate::mqtt::testing
