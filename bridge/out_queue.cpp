#include "bridge/out_queue.hpp"

#include <utility>

namespace mqgate::bridge {

std::size_t OutQueue::push(Outgoing item) {
    if (item.bytes() > max_bytes_) return 1;
    std::size_t dropped = 0;
    // Each round removes one unsent message; at most every one held.
    while (items_.size() >= max_messages_ || bytes_ + item.bytes() > max_bytes_) {
        if (items_.size() == sent_) return dropped + 1;  // only acknowledgements awaited: the new one goes
        erase_first_unsent();
        ++dropped;
    }
    bytes_ += item.bytes();
    items_.push_back(std::move(item));
    return dropped;
}

void OutQueue::erase_first_unsent() {
    const auto it = items_.begin() + static_cast<std::ptrdiff_t>(sent_);
    bytes_ -= it->bytes();
    items_.erase(it);
}

Outgoing* OutQueue::next(std::size_t window) noexcept {
    if (sent_ >= items_.size() || sent_ >= window) return nullptr;
    return &items_[sent_];
}

void OutQueue::sent(std::uint16_t packet_id) {
    Outgoing& item = items_[sent_];
    if (item.qos == 0) {
        erase_first_unsent();
        return;
    }
    item.packet_id = packet_id;
    ++sent_;
}

Outgoing* OutQueue::awaiting(std::uint16_t packet_id) noexcept {
    for (std::size_t i = 0; i < sent_; ++i)
        if (items_[i].packet_id == packet_id) return &items_[i];
    return nullptr;
}

bool OutQueue::acknowledged(std::uint16_t packet_id) {
    for (std::size_t i = 0; i < sent_; ++i) {
        if (items_[i].packet_id != packet_id) continue;
        bytes_ -= items_[i].bytes();
        items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(i));
        --sent_;
        return true;
    }
    return false;
}

}  // namespace mqgate::bridge
