// Shared by the store tests: a temporary directory, committing a batch and
// waiting for its outcome, and holding the store thread still.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <string>

#include "store/store.hpp"

namespace mqgate::store::testing {

using namespace std::chrono_literals;

class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "mqgate-store-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

inline StoreOptions sqlite_options(const std::string& path, Sync sync = Sync::normal) {
    StoreOptions options;
    options.backend = BackendKind::sqlite;
    options.path = path;
    options.sync = sync;
    return options;
}

// Submits `batch` and waits (bounded) for its outcome.
inline std::error_code commit(Store& store, Batch batch) {
    auto promise = std::make_shared<std::promise<std::error_code>>();
    auto future = promise->get_future();
    if (const auto ec = store.submit(std::move(batch), [promise](std::error_code ec) { promise->set_value(ec); }))
        return ec;
    if (future.wait_for(30s) != std::future_status::ready) {
        ADD_FAILURE() << "no commit within 30 s";
        return errc::io_error;
    }
    return future.get();
}

// Holds the store thread inside a batch's callback until release(), so every batch submitted
// meanwhile waits for the same next commit.
class Hold {
public:
    explicit Hold(Store& store) {
        EXPECT_FALSE(store.submit(Batch{}, [state = state_](std::error_code) { state->wait(); }));
        state_->wait_entered();
    }
    ~Hold() { release(); }
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;
    void release() { state_->release(); }

private:
    struct State {
        void wait() {
            std::unique_lock lock(mutex);
            entered = true;
            cv.notify_all();
            if (!cv.wait_for(lock, 30s, [&] { return open; })) ADD_FAILURE() << "hold never released";
        }
        // The store thread is in the callback: the held batch's commit is over.
        void wait_entered() {
            std::unique_lock lock(mutex);
            if (!cv.wait_for(lock, 30s, [&] { return entered; })) ADD_FAILURE() << "hold never reached";
        }
        void release() {
            {
                std::lock_guard lock(mutex);
                open = true;
            }
            cv.notify_all();
        }
        std::mutex mutex;
        std::condition_variable cv;
        bool entered = false;
        bool open = false;
    };
    std::shared_ptr<State> state_ = std::make_shared<State>();
};

inline StoredMessage message(std::string topic, std::string payload, std::uint8_t qos = 1) {
    return StoredMessage{std::move(topic), std::move(payload), qos, false, 1700000000000, "publisher"};
}

}  // namespace mqgate::store::testing
