#include "bridge/out_queue.hpp"

#include <utility>

namespace mqgate::bridge {

std::string stored_form(const Outgoing& item) {
    std::string out;
    out.reserve(6 + item.topic.size() + item.bytes());
    out.push_back(static_cast<char>(item.qos));
    out.push_back(item.retain ? 1 : 0);
    const auto n = static_cast<std::uint32_t>(item.topic.size());
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xff));
    out += item.topic;
    out += item.message->payload;
    return out;
}

std::optional<Outgoing> from_stored(std::string_view data, std::uint64_t seq) {
    if (data.size() < 6) return std::nullopt;
    const auto qos = static_cast<std::uint8_t>(data[0]);
    const auto retain = static_cast<std::uint8_t>(data[1]);
    std::uint32_t n = 0;
    for (int i = 2; i < 6; ++i) n = (n << 8) | static_cast<std::uint8_t>(data[i]);
    if (qos > 2 || retain > 1 || n == 0 || n > data.size() - 6) return std::nullopt;
    auto message = std::make_shared<mqtt::Message>();
    message->topic.assign(data.substr(6, n));
    message->payload.assign(data.substr(6 + n));
    message->qos = qos;
    message->retain = retain != 0;
    Outgoing item{message->topic, std::move(message), qos, retain != 0};
    item.seq = seq;
    return item;
}

std::size_t OutQueue::push(Outgoing item, const std::function<void(const Outgoing&)>& on_drop) {
    if (item.bytes() > max_bytes_) {
        if (on_drop) on_drop(item);
        return 1;
    }
    std::size_t dropped = 0;
    // Each round removes one unsent message; at most every one held.
    while (items_.size() >= max_messages_ || bytes_ + item.bytes() > max_bytes_) {
        if (items_.size() == sent_) {  // only acknowledgements awaited: the new one goes
            if (on_drop) on_drop(item);
            return dropped + 1;
        }
        if (on_drop) on_drop(items_[sent_]);
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
