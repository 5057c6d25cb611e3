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

private:
    std::shared_ptr<ConnectionCounter> counter_;
};

// Counts live connections (shared by several listeners) and refuses new ones
// past a maximum. A connection holds its slot; dropping the slot frees it.
class ConnectionCounter : public std::enable_shared_from_this<ConnectionCounter> {
public:
    explicit ConnectionCounter(std::size_t max = 0) noexcept : max_(max) {}  // 0 = unlimited
    // An empty slot when the maximum is reached.
    ConnectionSlot try_acquire();
    std::size_t live() const noexcept { return live_.load(std::memory_order_relaxed); }

private:
    friend class ConnectionSlot;
    std::size_t max_;
    std::atomic<std::size_t> live_{0};
};

}  // namespace mqgate::net
