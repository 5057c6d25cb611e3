// The threads that run password hashes (PBKDF2, tens of milliseconds each),
// so no I/O thread ever waits for one: a few threads and a bounded queue.
// A full queue refuses new work instead of growing; the caller answers
// "server unavailable" (CONNACK 0x03, HTTP 503) and the login is not made.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mqgate::config {

class VerifyPool {
public:
    VerifyPool(std::size_t threads, std::size_t queue_limit);
    ~VerifyPool() { stop(); }
    VerifyPool(const VerifyPool&) = delete;
    VerifyPool& operator=(const VerifyPool&) = delete;

    // False, and `job` not taken, when queue_limit jobs are already waiting.
    bool submit(std::function<void()>& job);
    // Jobs still queued are dropped unrun (their captures released); running
    // ones finish first; later submits are refused. Idempotent. Not from a
    // job. The gateway stops the pool before the I/O threads' contexts and
    // the broker that jobs answer to are gone.
    void stop();

private:
    void run();

    const std::size_t queue_limit_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> queue_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace mqgate::config
