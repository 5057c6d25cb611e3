#include "config/verify_pool.hpp"

#include "support/log.hpp"

namespace mqgate::config {

VerifyPool::VerifyPool(std::size_t threads, std::size_t queue_limit) : queue_limit_(queue_limit) {
    threads_.reserve(threads);
    for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

void VerifyPool::stop() {
    {
        std::deque<std::function<void()>> dropped;
        std::lock_guard lock(mutex_);
        stopping_ = true;
        dropped.swap(queue_);
    }  // dropped jobs release what they hold before the wait for running ones
    wake_.notify_all();
    for (auto& t : threads_) {
        if (t.joinable()) t.join();
    }
}

bool VerifyPool::submit(std::function<void()>& job) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || queue_.size() >= queue_limit_) return false;
        queue_.push_back(std::move(job));
    }
    wake_.notify_one();
    return true;
}

void VerifyPool::run() {
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (stopping_) return;
            job = std::move(queue_.front());
            queue_.pop_front();
        }
        try {
            job();
        } catch (const std::exception& e) {
            LOG_ERROR("password verification failed: " << e.what());
        }
    }
}

}  // namespace mqgate::config
