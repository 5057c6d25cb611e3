// The broker core's test doubles: a connection that records what the broker
// sends it, and a client made of one. Shared by the broker's unit tests.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mqtt/broker.hpp"
#include "mqtt/codec.hpp"

namespace mqgate::mqtt::fakes {

class FakeConnection final : public Connection {
public:
    void send(Frame frame) override {
        std::string bytes = frame.head;
        if (frame.payload_of) bytes += frame.payload_of->payload;
        decoder.feed(bytes);
        for (;;) {
            Packet p;
            std::error_code ec;
            auto st = decoder.next(p, ec);
            if (st != Decoder::Status::packet) {
                EXPECT_NE(st, Decoder::Status::error) << ec.message();
                break;
            }
            received.push_back(std::move(p));
        }
    }
    void close(DisconnectReason why) override {
        if (!close_reason) close_reason = why;
    }
    void set_keepalive(std::chrono::seconds k) override { keepalive = k; }
    std::size_t buffered_bytes() const noexcept override { return buffered; }
    PeerInfo peer() const override { return info; }

    template <class T>
    T pop() {
        EXPECT_FALSE(received.empty()) << "expected a " << typeid(T).name();
        if (received.empty()) return T{};
        Packet p = std::move(received.front());
        received.pop_front();
        auto* v = std::get_if<T>(&p);
        EXPECT_NE(v, nullptr) << "got packet type " << to_string(type_of(p));
        return v ? std::move(*v) : T{};
    }

    Decoder decoder;
    std::deque<Packet> received;
    std::optional<DisconnectReason> close_reason;
    std::chrono::seconds keepalive{-1};
    std::size_t buffered = 0;
    PeerInfo info{"127.0.0.1", 5555, 1883, "mqtt", ""};
};

struct Client {
    std::shared_ptr<FakeConnection> conn = std::make_shared<FakeConnection>();
    std::shared_ptr<ClientLink> link;
    bool open = true;

    // The transport's side of a close: report it once, as the real one does.
    void finish(DisconnectReason r = DisconnectReason::network_error) {
        if (open) link->closed(r);
        open = false;
    }
};

}  // namespace mqgate::mqtt::fakes
