// Requests to devices (issue 14): publish a message and wait for the
// device's reply on a response topic, through the broker's narrow API only
// (publish, internal subscribe/unsubscribe, has_subscriber, observe). Each
// reply subscription exists only while its request waits.
//
// Threads: start() and cancel() may be called from any thread. A batch's
// state lives on its own strand of the executor given at construction;
// broker callbacks (any thread) post to it. No Beast here.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "mqtt/message.hpp"

namespace mqgate::mqtt {
class Broker;
}

namespace mqgate::control {

struct RequestLimits {
    std::chrono::milliseconds max_timeout{60'000};  // timeout_ms and wait_for_connect_ms at most this
    std::size_t max_pending = 1000;                 // device requests waiting at once (each target counts)
    std::size_t max_targets = 1000;                 // "targets" per request
};

// One message to a device and how its reply is recognised.
struct Exchange {
    std::string client_id;       // the target; "" without "targets"
    std::string request_id;
    std::string topic;
    std::string payload;
    std::uint8_t qos = 1;
    std::string response_topic;  // a topic filter: where the reply arrives
    std::string payload_key;     // "payload:<key>" correlation; "" = the first message on response_topic
};

enum class Status { ok, timeout, no_matching_subscribers };
const char* to_string(Status status) noexcept;

struct Outcome {
    Status status = Status::timeout;
    mqtt::MessagePtr reply;               // set when ok
    std::chrono::milliseconds elapsed{0};  // from start()
};

class RequestService {
public:
    // `executor` runs the timers and every batch's strand; the broker must
    // outlive the service.
    RequestService(mqtt::Broker& broker, boost::asio::any_io_executor executor, RequestLimits limits);
    ~RequestService();
    RequestService(const RequestService&) = delete;
    RequestService& operator=(const RequestService&) = delete;

    const RequestLimits& limits() const noexcept { return limits_; }

    class Batch;
    using Done = std::function<void(std::vector<Outcome>)>;
    // Sends every exchange at once (a topic no session subscribes to waits
    // up to `wait_for_connect` for one, else it is no_matching_subscribers)
    // and waits for each reply up to `timeout` after its publish. `done` runs
    // once, on the batch's strand, with the outcomes in exchange order --
    // unless cancel() came first. Null when the exchanges would take the
    // pending count over max_pending (nothing was sent).
    std::shared_ptr<Batch> start(std::vector<Exchange> exchanges, std::chrono::milliseconds timeout,
                                 std::chrono::milliseconds wait_for_connect, Done done);
    // The caller went away: drop the reply subscriptions, never call `done`.
    // Thread-safe; no-op once finished.
    static void cancel(const std::shared_ptr<Batch>& batch);

    // Device requests waiting now (for stats and tests).
    std::size_t pending() const;

private:
    friend class Batch;
    void on_event_subscribed(const std::string& filter);
    void forget_waiter(const Batch* batch);
    void release(std::size_t exchanges);

    mqtt::Broker& broker_;
    boost::asio::any_io_executor executor_;
    RequestLimits limits_;
    std::uint64_t observer_ = 0;
    mutable std::mutex mutex_;
    std::size_t pending_ = 0;
    // Batches with an exchange waiting for a subscriber: told of each new
    // client subscription.
    std::vector<std::weak_ptr<Batch>> waiters_;
};

}  // namespace mqgate::control
