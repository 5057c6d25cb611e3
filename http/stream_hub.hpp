// The broker subscriptions of every JSON stream and SSE response: one per
// distinct filter, shared by all the streams subscribed to it. The broker
// then routes and calls back once per message and filter, not once per
// stream, and the hub hands the message to each stream in turn; a stream
// that is dropping (a slow consumer) costs one lock and a count per message.
//
// Threading: subscribe() and unsubscribe() from any thread (the hub's lock,
// then the broker's); the broker's callback runs after its lock is released
// and takes only the filter's own lock, to copy its list of streams.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "mqtt/broker.hpp"

namespace mqgate::http {

class StreamCore;

class StreamHub {
public:
    explicit StreamHub(mqtt::Broker& broker) : broker_(broker) {}
    // Each stream holds the hub and unsubscribes as it closes (at the
    // latest when it is destroyed), so none is left here by then.
    ~StreamHub() = default;
    StreamHub(const StreamHub&) = delete;
    StreamHub& operator=(const StreamHub&) = delete;

    mqtt::Broker& broker() const noexcept { return broker_; }

    // Messages matching `filter` go to `core` at `qos` from now on. Returns
    // the receiver's id, or 0 when the broker refuses the filter.
    std::uint64_t subscribe(const std::string& filter, std::weak_ptr<StreamCore> core, std::uint8_t qos);
    void unsubscribe(std::uint64_t id);

private:
    struct Receiver {
        std::uint64_t id;
        std::weak_ptr<StreamCore> core;
        std::uint8_t qos;
    };
    using Receivers = std::vector<Receiver>;
    // Shared with the broker's callback, which may still run after the
    // filter is gone. The list is replaced, never changed in place, so the
    // callback walks a snapshot without holding the lock.
    struct Channel {
        std::mutex mutex;
        std::shared_ptr<const Receivers> receivers;
    };
    struct Filter {
        std::uint64_t broker_id = 0;
        std::shared_ptr<Channel> channel;
    };

    static void deliver(Channel& channel, const mqtt::MessagePtr& msg);

    mqtt::Broker& broker_;
    std::mutex mutex_;
    std::map<std::string, Filter, std::less<>> filters_;
    std::unordered_map<std::uint64_t, std::string> filter_of_;  // receiver id -> its filter
    std::uint64_t last_id_ = 0;
};

}  // namespace mqgate::http
