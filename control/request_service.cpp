#include "control/request_service.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "control/correlation.hpp"
#include "mqtt/broker.hpp"
#include "mqtt/topic.hpp"

namespace mqgate::control {

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;

const char* to_string(Status status) noexcept {
    switch (status) {
        case Status::ok: return "ok";
        case Status::timeout: return "timeout";
        case Status::no_matching_subscribers: return "no_matching_subscribers";
    }
    return "timeout";
}

// One start(): its exchanges, each waiting for a subscriber, then for its
// reply, then done. Everything below runs on `strand_`.
class RequestService::Batch : public std::enable_shared_from_this<Batch> {
public:
    Batch(RequestService& service, std::vector<Exchange> exchanges, std::chrono::milliseconds timeout,
          std::chrono::milliseconds wait_for_connect, Done done)
        : service_(service),
          strand_(asio::make_strand(service.executor_)),
          timer_(strand_),
          started_(steady::now()),
          timeout_(timeout),
          wait_for_connect_(wait_for_connect),
          done_(std::move(done)),
          exchanges_(std::move(exchanges)),
          states_(exchanges_.size()),
          outcomes_(exchanges_.size()) {}

    void post(std::function<void(Batch&)> f) {
        asio::post(strand_, [self = shared_from_this(), f = std::move(f)] { f(*self); });
    }

    void begin() {
        // Listed before the first has_subscriber(): a subscription made in
        // between still reaches subscribed().
        if (wait_for_connect_.count() > 0) {
            std::lock_guard lock(service_.mutex_);
            service_.waiters_.push_back(weak_from_this());
        }
        for (std::size_t i = 0; i < exchanges_.size(); ++i) {
            if (service_.broker_.has_subscriber(exchanges_[i].topic)) {
                send(i);
            } else if (wait_for_connect_.count() > 0) {
                states_[i].phase = Phase::awaiting_subscriber;
                states_[i].deadline = started_ + wait_for_connect_;
            } else {
                finish(i, Status::no_matching_subscribers, nullptr);
            }
        }
        rearm();
    }

    // A client subscribed to `filter`: send what now has a subscriber.
    void subscribed(const std::string& filter) {
        for (std::size_t i = 0; i < exchanges_.size(); ++i) {
            if (states_[i].phase != Phase::awaiting_subscriber) continue;
            if (!mqtt::topic_matches(filter, exchanges_[i].topic)) continue;
            if (service_.broker_.has_subscriber(exchanges_[i].topic)) send(i);
        }
        rearm();
    }

    void cancel() {
        done_ = nullptr;
        for (std::size_t i = 0; i < exchanges_.size(); ++i) {
            if (states_[i].phase != Phase::done) finish(i, Status::timeout, nullptr);
        }
    }

private:
    enum class Phase { awaiting_subscriber, awaiting_reply, done };
    struct State {
        Phase phase = Phase::awaiting_reply;
        steady::time_point deadline;
        std::uint64_t subscription = 0;
    };

    // Subscribe first, then publish: a fast reply cannot be missed.
    void send(std::size_t i) {
        auto& exchange = exchanges_[i];
        auto& state = states_[i];
        std::weak_ptr<Batch> weak = weak_from_this();
        state.subscription = service_.broker_.subscribe(exchange.response_topic, [weak, i](const mqtt::MessagePtr& m) {
            if (auto self = weak.lock()) self->post([i, m](Batch& b) { b.replied(i, m); });
        });
        state.phase = Phase::awaiting_reply;
        state.deadline = steady::now() + timeout_;
        const auto result = service_.broker_.publish(exchange.topic, std::move(exchange.payload), exchange.qos, false);
        // The plan validated the topic; a refusal here (e.g. too many levels) is a reply that never comes.
        if (result.error) finish(i, Status::no_matching_subscribers, nullptr);
    }

    void replied(std::size_t i, const mqtt::MessagePtr& message) {
        if (states_[i].phase != Phase::awaiting_reply) return;
        const auto& key = exchanges_[i].payload_key;
        if (!key.empty() && !reply_matches(message->payload, key, exchanges_[i].request_id)) return;
        finish(i, Status::ok, message);
        rearm();
    }

    void finish(std::size_t i, Status status, mqtt::MessagePtr reply) {
        auto& state = states_[i];
        if (state.phase == Phase::done) return;
        state.phase = Phase::done;
        if (state.subscription != 0) service_.broker_.unsubscribe(state.subscription);
        state.subscription = 0;
        outcomes_[i] = Outcome{status, std::move(reply),
                               std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - started_)};
        service_.release(1);
        if (++finished_ < exchanges_.size()) return;
        timer_.cancel();
        service_.forget_waiter(this);
        if (auto done = std::move(done_)) {
            done_ = nullptr;
            done(std::move(outcomes_));
        }
    }

    // One timer for the whole batch, at its earliest deadline.
    void rearm() {
        if (finished_ == exchanges_.size()) return;
        auto earliest = steady::time_point::max();
        for (const auto& state : states_)
            if (state.phase != Phase::done) earliest = std::min(earliest, state.deadline);
        if (earliest == armed_) return;
        armed_ = earliest;
        timer_.expires_at(earliest);
        timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
            if (!ec) self->expired();
        });
    }

    void expired() {
        armed_ = {};
        const auto now = steady::now();
        for (std::size_t i = 0; i < exchanges_.size(); ++i) {
            const auto& state = states_[i];
            if (state.phase == Phase::done || state.deadline > now) continue;
            finish(i, state.phase == Phase::awaiting_subscriber ? Status::no_matching_subscribers : Status::timeout,
                   nullptr);
        }
        rearm();
    }

    RequestService& service_;
    asio::strand<asio::any_io_executor> strand_;
    asio::steady_timer timer_;
    steady::time_point started_;
    steady::time_point armed_{};
    std::chrono::milliseconds timeout_;
    std::chrono::milliseconds wait_for_connect_;
    Done done_;
    std::vector<Exchange> exchanges_;
    std::vector<State> states_;
    std::vector<Outcome> outcomes_;
    std::size_t finished_ = 0;
};

RequestService::RequestService(mqtt::Broker& broker, asio::any_io_executor executor, RequestLimits limits)
    : broker_(broker), executor_(std::move(executor)), limits_(limits) {
    observer_ = broker_.observe([this](const mqtt::Event& e) {
        if (e.type == mqtt::EventType::session_subscribed) on_event_subscribed(e.topic);
    });
}

RequestService::~RequestService() { broker_.unobserve(observer_); }

std::shared_ptr<RequestService::Batch> RequestService::start(std::vector<Exchange> exchanges,
                                                             std::chrono::milliseconds timeout,
                                                             std::chrono::milliseconds wait_for_connect, Done done) {
    {
        std::lock_guard lock(mutex_);
        if (exchanges.size() > limits_.max_pending - std::min(pending_, limits_.max_pending)) return nullptr;
        pending_ += exchanges.size();
    }
    auto batch = std::make_shared<Batch>(*this, std::move(exchanges), timeout, wait_for_connect, std::move(done));
    batch->post([](Batch& b) { b.begin(); });
    return batch;
}

void RequestService::cancel(const std::shared_ptr<Batch>& batch) {
    if (batch) batch->post([](Batch& b) { b.cancel(); });
}

std::size_t RequestService::pending() const {
    std::lock_guard lock(mutex_);
    return pending_;
}

void RequestService::release(std::size_t exchanges) {
    std::lock_guard lock(mutex_);
    pending_ -= std::min(pending_, exchanges);
}

void RequestService::on_event_subscribed(const std::string& filter) {
    std::vector<std::shared_ptr<Batch>> batches;
    {
        std::lock_guard lock(mutex_);
        for (const auto& weak : waiters_)
            if (auto batch = weak.lock()) batches.push_back(std::move(batch));
    }
    for (auto& batch : batches) batch->post([filter](Batch& b) { b.subscribed(filter); });
}

void RequestService::forget_waiter(const Batch* batch) {
    std::lock_guard lock(mutex_);
    std::erase_if(waiters_, [batch](const std::weak_ptr<Batch>& w) {
        const auto b = w.lock();
        return !b || b.get() == batch;
    });
}

}  // namespace mqgate::control
