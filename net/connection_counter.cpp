#include "net/connection_counter.hpp"

namespace mqgate::net {

ConnectionSlot& ConnectionSlot::operator=(ConnectionSlot&& o) noexcept {
    if (this != &o) {
        ConnectionSlot old(std::move(*this));
        counter_ = std::move(o.counter_);
    }
    return *this;
}

ConnectionSlot::~ConnectionSlot() {
    if (counter_) counter_->live_.fetch_sub(1, std::memory_order_relaxed);
}

bool ConnectionSlot::refusing() const noexcept { return counter_ && counter_->refusing_; }

ConnectionSlot ConnectionCounter::try_acquire_refusing() {
    return refused_ ? refused_->try_acquire() : ConnectionSlot{};
}

ConnectionSlot ConnectionCounter::try_acquire() {
    const std::size_t before = live_.fetch_add(1, std::memory_order_relaxed);
    if (max_ != 0 && before >= max_) {
        live_.fetch_sub(1, std::memory_order_relaxed);
        return {};
    }
    return ConnectionSlot(shared_from_this());
}

}  // namespace mqgate::net
