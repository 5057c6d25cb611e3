// How many MQTT connections are live, across listeners (mqtt.max_connections).
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <utility>

namespace mqgate::net {

class ConnectionCounter;

// A live connection's place in a ConnectionCounter, freed when the slot is
// destroyed. It shares ownership of the counter, so it may outlive the
// listeners, at no allocation per connection (memory per idle connection).
class ConnectionSlot {
public:
    ConnectionSlot() noexcept = default;
    explicit ConnectionSlot(std::shared_ptr<ConnectionCounter> counter) noexcept : counter_(std::move(counter)) {}
    ConnectionSlot(ConnectionSlot&&) noexcept = default;
    ConnectionSlot& operator=(ConnectionSlot&& o) noexcept;
    ~ConnectionSlot();

    explicit operator bool() const noexcept { return counter_ != nullptr; }
    // A slot past the maximum (ConnectionCounter::try_acquire_refusing()): the
    // connection is read for its CONNECT only, to answer CONNACK 0x03.
    bool refusing() const noexcept;

private:
    std::shared_ptr<ConnectionCounter> counter_;
};

// Counts live connections (shared by several listeners) and refuses new ones
// past a maximum. A connection holds its slot; dropping the slot frees it.
class ConnectionCounter : public std::enable_shared_from_this<ConnectionCounter> {
public:
    // Connections past the maximum that may at once be told why they are
    // refused: each is read for its CONNECT (within max_connect_size and the
    // connect timeout) and answered CONNACK 0x03. Beyond these, a connection
    // is closed at accept: refusing costs memory and time too.
    static constexpr std::size_t max_refusing = 64;

    explicit ConnectionCounter(std::size_t max = 0)  // 0 = unlimited
        : max_(max), refused_(new ConnectionCounter(max_refusing, true)) {}
    // An empty slot when the maximum is reached.
    ConnectionSlot try_acquire();
    // When try_acquire() failed: a refusing() slot, or an empty one when
    // max_refusing connections are being refused already.
    ConnectionSlot try_acquire_refusing();
    std::size_t live() const noexcept { return live_.load(std::memory_order_relaxed); }

private:
    friend class ConnectionSlot;
    ConnectionCounter(std::size_t max, bool refusing) noexcept : max_(max), refusing_(refusing) {}
    std::size_t max_;
    bool refusing_ = false;  // this counts the refused connections of another counter
    std::atomic<std::size_t> live_{0};
    std::shared_ptr<ConnectionCounter> refused_;  // null in a counter of refused connections
};

}  // namespace mqgate::net
