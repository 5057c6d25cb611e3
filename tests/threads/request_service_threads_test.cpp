// RequestService (control/) where threads meet: device threads answer over
// their own client links, so replies reach the service from several threads,
// while requester threads start and cancel requests that complete, time out
// or wait for a device to connect, and three threads run the service's
// executor. Run under ThreadSanitizer by scripts/test (label "threads").
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "control/request_service.hpp"
#include "mqtt/broker.hpp"
#include "tests/threads/locked_connection.hpp"

namespace {

using namespace std::chrono_literals;
using mqgate::control::Exchange;
using mqgate::control::Outcome;
using mqgate::control::RequestService;
using mqgate::control::Status;
using mqgate::mqtt::testing::LockedConnection;
namespace mqtt = mqgate::mqtt;

// Bounds every wait: generous, since ThreadSanitizer slows everything.
constexpr auto kDeadline = 120s;

// A device on its own thread: subscribed to <name>/req/+ at QoS 1, it
// acknowledges each request and answers those whose payload starts with
// "answer" on <name>/res/<id> with "re:" + the payload.
class Device {
public:
    Device(mqtt::Broker& broker, std::string name) : name_(std::move(name)), conn_(std::make_shared<LockedConnection>()) {
        link_ = broker.attach(conn_);
        mqtt::Connect connect;
        connect.client_id = name_;
        link_->packet(std::move(connect));
        link_->packet(mqtt::Subscribe{1, {{name_ + "/req/+", 1}}});
        thread_ = std::thread([this] { run(); });
    }
    ~Device() { stop(); }

    void stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }

    std::size_t answered() const { return answered_; }

private:
    void run() {
        const auto deadline = std::chrono::steady_clock::now() + kDeadline;
        std::uint16_t next_id = 1;
        while (!stop_ && std::chrono::steady_clock::now() < deadline) {
            for (auto& packet : conn_->wait_take(20ms)) {
                auto* request = std::get_if<mqtt::Publish>(&packet);
                if (!request) continue;
                if (request->qos > 0) link_->packet(mqtt::Puback{request->packet_id});
                if (!request->payload.starts_with("answer")) continue;
                const auto id = request->topic.substr(request->topic.rfind('/') + 1);
                link_->packet(mqtt::Publish{false, 1, false, name_ + "/res/" + id, next_id, "re:" + request->payload});
                next_id = next_id == 65535 ? 1 : next_id + 1;
                ++answered_;
            }
        }
        link_->packet(mqtt::Disconnect{});
        link_->closed(mqtt::DisconnectReason::normal);
    }

    std::string name_;
    std::shared_ptr<LockedConnection> conn_;
    std::shared_ptr<mqtt::ClientLink> link_;
    std::atomic<bool> stop_{false};
    std::atomic<std::size_t> answered_{0};
    std::thread thread_;
};

Exchange exchange(const std::string& device, const std::string& id, const std::string& payload) {
    Exchange e;
    e.request_id = id;
    e.topic = device + "/req/" + id;
    e.response_topic = device + "/res/" + id;
    e.payload = payload + ":" + id;
    return e;
}

// What each finished batch was expected to give, checked as it finishes;
// mismatches are collected (gtest assertions belong on the test's thread).
class Checker {
public:
    RequestService::Done expect(std::vector<Status> statuses, std::vector<std::string> replies) {
        return [this, statuses = std::move(statuses), replies = std::move(replies)](std::vector<Outcome> outcomes) {
            std::string problem;
            if (outcomes.size() != statuses.size()) problem = "wrong number of outcomes";
            for (std::size_t i = 0; problem.empty() && i < outcomes.size(); ++i) {
                const auto& o = outcomes[i];
                if (o.status != statuses[i]) {
                    problem = std::string("exchange ") + std::to_string(i) + " is " + to_string(o.status) +
                              ", expected " + to_string(statuses[i]);
                } else if ((o.status == Status::ok) != (o.reply != nullptr) ||
                           (o.reply && o.reply->payload != replies[i])) {
                    problem = "exchange " + std::to_string(i) + " has the wrong reply";
                }
            }
            std::lock_guard lock(mutex_);
            if (!problem.empty()) problems_.push_back(problem);
            ++finished_;
            changed_.notify_all();
        };
    }

    // Done for a batch that is cancelled before it can finish: never called.
    RequestService::Done never() {
        return [this](std::vector<Outcome>) {
            std::lock_guard lock(mutex_);
            problems_.push_back("a cancelled batch finished");
        };
    }

    // Done for a batch cancelled while its reply may be on its way: either
    // never called or called with the reply.
    RequestService::Done maybe(std::string reply) {
        return [this, reply = std::move(reply)](std::vector<Outcome> outcomes) {
            std::lock_guard lock(mutex_);
            if (outcomes.size() != 1 || outcomes[0].status != Status::ok || outcomes[0].reply->payload != reply)
                problems_.push_back("a cancelled batch finished without its reply");
        };
    }

    bool wait_finished(std::size_t count) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, kDeadline, [&] { return finished_ >= count; });
    }
    std::size_t finished() {
        std::lock_guard lock(mutex_);
        return finished_;
    }
    std::vector<std::string> problems() {
        std::lock_guard lock(mutex_);
        return problems_;
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::size_t finished_ = 0;
    std::vector<std::string> problems_;
};

TEST(RequestServiceThreads, RepliesFromSeveralThreadsWhileRequestsTimeOutAndComplete) {
    mqtt::Broker broker(mqtt::BrokerOptions{});
    boost::asio::io_context io;
    auto work = boost::asio::make_work_guard(io);
    std::vector<std::thread> io_threads;
    for (int i = 0; i < 3; ++i) io_threads.emplace_back([&io] { io.run(); });

    mqgate::control::RequestLimits limits;
    limits.max_pending = 100'000;
    auto service = std::make_unique<RequestService>(broker, io.get_executor(), limits);
    Checker checker;

    constexpr int kDevices = 4;
    std::vector<std::unique_ptr<Device>> devices;
    for (int d = 0; d < kDevices; ++d) devices.push_back(std::make_unique<Device>(broker, "dev" + std::to_string(d)));

    // Waiting for a device that connects while requesters run: published
    // the moment it subscribes, from its thread's SUBSCRIBE.
    const auto late_id = std::string("late-first");
    service->start({exchange("late", late_id, "answer")}, 30s, 30s,
                   checker.expect({Status::ok}, {"re:answer:" + late_id}));

    constexpr int kRequesters = 3;
    constexpr int kRounds = 40;
    std::vector<std::thread> requesters;
    std::atomic<std::size_t> started{0};
    // Batches that must finish (all but the cancelled kinds 3 and 4), and
    // the requests the late device answers; both count the first late one.
    std::atomic<std::size_t> to_finish{1};
    std::atomic<std::size_t> for_late{1};
    for (int t = 0; t < kRequesters; ++t) {
        requesters.emplace_back([&, t] {
            for (int n = 0; n < kRounds; ++n) {
                const auto id = "t" + std::to_string(t) + "n" + std::to_string(n);
                const auto device = "dev" + std::to_string((t + n) % kDevices);
                const auto other = "dev" + std::to_string((t + n + 1) % kDevices);
                std::shared_ptr<RequestService::Batch> batch;
                switch (n % 6) {
                    case 0:  // answered
                        batch = service->start({exchange(device, id, "answer")}, 30s, 0ms,
                                               checker.expect({Status::ok}, {"re:answer:" + id}));
                        break;
                    case 1:  // never answered: times out
                        batch = service->start({exchange(device, id, "silent")}, 20ms, 0ms,
                                               checker.expect({Status::timeout}, {""}));
                        break;
                    case 2:  // targets: one answers, one is silent, one has no subscriber (the
                             // timeout leaves the answer time under TSan on a loaded machine)
                        batch = service->start(
                            {exchange(device, id + "a", "answer"), exchange(other, id + "s", "silent"),
                             exchange("nobody", id + "n", "answer")},
                            5s, 0ms,
                            checker.expect({Status::ok, Status::timeout, Status::no_matching_subscribers},
                                           {"re:answer:" + id + "a", "", ""}));
                        break;
                    case 3:  // cancelled while waiting for a reply that never comes
                        batch = service->start({exchange(device, id, "silent")}, 30s, 0ms, checker.never());
                        RequestService::cancel(batch);
                        break;
                    case 4:  // cancelled while the reply may be arriving
                        batch = service->start({exchange(device, id, "answer")}, 30s, 0ms,
                                               checker.maybe("re:answer:" + id));
                        RequestService::cancel(batch);
                        break;
                    case 5:  // waits for the late device
                        batch = service->start({exchange("late", id, "answer")}, 30s, 30s,
                                               checker.expect({Status::ok}, {"re:answer:" + id}));
                        break;
                }
                if (!batch) continue;
                ++started;
                if (n % 6 != 3 && n % 6 != 4) ++to_finish;
                if (n % 6 == 5) ++for_late;
            }
        });
    }
    auto late = std::make_unique<Device>(broker, "late");
    for (auto& r : requesters) r.join();
    EXPECT_EQ(started.load(), std::size_t{kRequesters * kRounds});
    const std::size_t expected = to_finish;
    EXPECT_TRUE(checker.wait_finished(expected)) << checker.finished() << " of " << expected << " finished";
    for (auto& d : devices) d->stop();
    late->stop();
    // The io threads return once every timer and posted handler is done:
    // cancelled batches included.
    work.reset();
    for (auto& th : io_threads) th.join();

    for (const auto& problem : checker.problems()) ADD_FAILURE() << problem;
    EXPECT_EQ(checker.finished(), expected);
    EXPECT_EQ(service->pending(), 0u);
    EXPECT_EQ(broker.stats().internal_subscriptions, 0u) << "a reply subscription was left behind";
    EXPECT_EQ(late->answered(), for_late.load());
    service.reset();
}

}  // namespace
