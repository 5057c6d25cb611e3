// A publish's acknowledgement to an HTTP or JSON stream client: known once
// the broker has routed the message and the store has kept what it wrote
// (Broker::publish's `stored` callback). The two arrive in either order, on
// different threads: the commit may be reported before publish() returns.
#pragma once

#include <atomic>
#include <functional>
#include <system_error>
#include <utility>

namespace mqgate::http {

template <typename Routed>
class PublishJoin {
public:
    using Answer = std::function<void(Routed, std::error_code)>;
    explicit PublishJoin(Answer answer) : answer_(std::move(answer)) {}

    // The broker's result, from the thread that called publish().
    void routed(Routed r) {
        routed_ = std::move(r);
        arrive();
    }
    // The store's report, from any thread.
    void stored(std::error_code ec) {
        error_ = ec;
        arrive();
    }

private:
    void arrive() {
        // acq_rel: the last to arrive sees what the other wrote before its decrement.
        if (left_.fetch_sub(1, std::memory_order_acq_rel) == 1) answer_(std::move(routed_), error_);
    }

    Answer answer_;
    std::atomic<int> left_{2};
    Routed routed_{};
    std::error_code error_;
};

}  // namespace mqgate::http
