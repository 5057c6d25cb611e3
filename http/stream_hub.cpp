#include "http/stream_hub.hpp"

#include <utility>

#include "http/stream_core.hpp"

namespace mqgate::http {

std::uint64_t StreamHub::subscribe(const std::string& filter, std::weak_ptr<StreamCore> core, std::uint8_t qos) {
    std::lock_guard lock(mutex_);
    auto it = filters_.find(filter);
    if (it == filters_.end()) {
        auto channel = std::make_shared<Channel>();
        channel->receivers = std::make_shared<const Receivers>();
        const std::uint64_t broker_id =
            broker_.subscribe(filter, [channel](const mqtt::MessagePtr& msg) { deliver(*channel, msg); });
        if (broker_id == 0) return 0;
        it = filters_.emplace(filter, Filter{broker_id, std::move(channel)}).first;
    }
    const std::uint64_t id = ++last_id_;
    Channel& channel = *it->second.channel;
    std::lock_guard channel_lock(channel.mutex);
    auto receivers = std::make_shared<Receivers>(*channel.receivers);
    receivers->push_back(Receiver{id, std::move(core), qos});
    channel.receivers = std::move(receivers);
    filter_of_.emplace(id, filter);
    return id;
}

void StreamHub::unsubscribe(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    const auto of = filter_of_.find(id);
    if (of == filter_of_.end()) return;
    const auto it = filters_.find(of->second);
    filter_of_.erase(of);
    if (it == filters_.end()) return;
    Channel& channel = *it->second.channel;
    bool empty;
    {
        std::lock_guard channel_lock(channel.mutex);
        auto receivers = std::make_shared<Receivers>(*channel.receivers);
        std::erase_if(*receivers, [id](const Receiver& r) { return r.id == id; });
        empty = receivers->empty();
        channel.receivers = std::move(receivers);
    }
    if (!empty) return;
    broker_.unsubscribe(it->second.broker_id);
    filters_.erase(it);
}

void StreamHub::deliver(Channel& channel, const mqtt::MessagePtr& msg) {
    std::shared_ptr<const Receivers> receivers;
    {
        std::lock_guard lock(channel.mutex);
        receivers = channel.receivers;
    }
    for (const auto& r : *receivers) {
        // A stream may be gone: its unsubscribe can race this snapshot.
        if (auto core = r.core.lock()) core->on_message(msg, r.qos);
    }
}

}  // namespace mqgate::http
