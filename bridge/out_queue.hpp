// What waits to go upstream and what is sent but not yet acknowledged, in
// publish order, bounded (README "Bridges"). Pure: no I/O, one thread.
//
// The items sent and awaiting acknowledgement (QoS 1/2) are always the
// first ones: messages go out from the front, and a QoS 0 one leaves as it
// is sent. POLICY when a new message would pass max_messages or max_bytes:
// the oldest messages not yet sent are dropped (counted) to make room, so
// the newest values reach the upstream; a sent one is kept until acknowledged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "mqtt/message.hpp"

namespace mqgate::bridge {

struct Outgoing {
    std::string topic;          // its name upstream
    mqtt::MessagePtr message;   // the local message: its payload
    std::uint8_t qos = 0;       // what it goes with
    bool retain = false;
    std::uint16_t packet_id = 0;  // once sent with QoS 1/2
    bool released = false;        // QoS 2: PUBREC received, PUBREL sent
    std::uint64_t seq = 0;        // its item in the durable store's queue; 0 = not stored

    std::size_t bytes() const noexcept { return message->payload.size(); }
};

// A QoS 1/2 message as the durable store keeps it (named queue "bridge:<name>"):
// QoS, retain, topic length (4 bytes, big-endian), topic, payload.
std::string stored_form(const Outgoing& item);
// Back from the store; nullopt for bytes that are not stored_form's.
std::optional<Outgoing> from_stored(std::string_view data, std::uint64_t seq);

class OutQueue {
public:
    OutQueue(std::size_t max_messages, std::size_t max_bytes) noexcept
        : max_messages_(max_messages), max_bytes_(max_bytes) {}

    // Appends; returns how many messages were dropped for it (itself when it
    // alone is over max_bytes, or when everything held is awaiting
    // acknowledgement), each shown to `on_drop` first.
    std::size_t push(Outgoing item, const std::function<void(const Outgoing&)>& on_drop = nullptr);

    // The oldest message not yet sent while fewer than `window` await
    // acknowledgement; null when none may go.
    Outgoing* next(std::size_t window) noexcept;
    // next() was written out: a QoS 0 one leaves; a QoS 1/2 one now awaits
    // its acknowledgement under `packet_id`.
    void sent(std::uint16_t packet_id);

    // Sent and not yet acknowledged under this id; null when none.
    Outgoing* awaiting(std::uint16_t packet_id) noexcept;
    // Its PUBACK or PUBCOMP: it leaves. False for an id nothing awaits.
    bool acknowledged(std::uint16_t packet_id);

    // The messages awaiting acknowledgement, oldest first (resent on reconnect).
    template <class F>
    void for_each_awaiting(F f) {
        for (std::size_t i = 0; i < sent_; ++i) f(items_[i]);
    }

    std::size_t size() const noexcept { return items_.size(); }
    std::size_t bytes() const noexcept { return bytes_; }
    std::size_t awaiting_count() const noexcept { return sent_; }

private:
    void erase_first_unsent();

    std::size_t max_messages_;
    std::size_t max_bytes_;
    std::deque<Outgoing> items_;
    std::size_t sent_ = 0;  // items_[0, sent_) await acknowledgement
    std::size_t bytes_ = 0;
};

}  // namespace mqgate::bridge
