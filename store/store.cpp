#include "store/store.hpp"

#include <chrono>
#include <utility>

#include "store/compact.hpp"

namespace mqgate::store {

std::unique_ptr<Store> Store::open(const StoreOptions& options) {
    auto backend = options.backend == BackendKind::memory ? make_memory_backend()
                                                          : open_sqlite_backend(options.path, options.sync);
    return std::unique_ptr<Store>(new Store(std::move(backend), options));
}

Store::Store(std::unique_ptr<Backend> backend, const StoreOptions& options)
    : backend_(std::move(backend)),
      max_pending_(options.max_pending_batches),
      next_id_(backend_->stored_next_id()),
      thread_([this] { run(); }) {}

Store::~Store() { close(); }

LoadedState Store::load() {
    flush();
    std::lock_guard lock(backend_mutex_);
    LoadedState state = backend_->load();
    state.next_id = next_id_.load(std::memory_order_relaxed);
    return state;
}

std::vector<QueueItem> Store::read_queue(const std::string& queue, std::uint64_t after, std::size_t limit) {
    std::lock_guard lock(backend_mutex_);
    return backend_->read_queue(queue, after, limit);
}

std::error_code Store::submit(Batch batch, CommitCallback done) {
    {
        std::lock_guard lock(mutex_);
        if (closing_) return errc::closed;
        if (submitted_ - completed_ >= max_pending_) return errc::queue_full;
        queue_.push_back(Pending{std::move(batch), std::move(done), {}});
        ++submitted_;
    }
    work_cv_.notify_one();
    return {};
}

void Store::flush() {
    std::unique_lock lock(mutex_);
    const std::uint64_t target = submitted_;
    // The store thread completes every queued batch in bounded time (one commit each round).
    done_cv_.wait(lock, [&] { return completed_ >= target; });
}

StoreStats Store::stats() const {
    StoreStats s;
    {
        std::lock_guard lock(mutex_);
        s = stats_;
        s.pending_batches = submitted_ - completed_;
    }
    s.file_bytes = backend_->file_bytes();
    return s;
}

void Store::close() {
    {
        std::lock_guard lock(mutex_);
        closing_ = true;
    }
    work_cv_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void Store::run() {
    std::vector<Pending> work;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            work_cv_.wait(lock, [&] { return !queue_.empty() || closing_; });
            if (queue_.empty()) break;  // closing, and everything committed
            work.swap(queue_);
        }
        const auto start = std::chrono::steady_clock::now();
        const std::size_t cancelled = compact(work);
        std::size_t operations = 0;
        for (const Pending& p : work) operations += p.batch.size();
        // Nothing left to write: the batches are as durable as the last commit made them.
        const bool empty = operations == 0;
        std::error_code ec;
        if (!empty) {
            std::lock_guard lock(backend_mutex_);
            ec = backend_->commit(work, next_id_.load(std::memory_order_relaxed));
        }
        const auto micros = static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count());

        std::size_t invalid = 0;
        for (const Pending& p : work) {
            if (p.result == errc::invalid_batch) {
                ++invalid;
                operations -= p.batch.size();
            }
        }
        record_commit(ec, invalid, work.size() - invalid, operations, cancelled, empty, micros);

        for (Pending& p : work) {
            if (p.done) p.done(p.result);
        }
        {
            std::lock_guard lock(mutex_);
            completed_ += work.size();
        }
        done_cv_.notify_all();
        work.clear();
        std::lock_guard lock(backend_mutex_);
        backend_->tidy(false);
    }
    std::lock_guard lock(backend_mutex_);
    backend_->tidy(true);
}

void Store::record_commit(std::error_code ec, std::size_t invalid, std::size_t batches, std::size_t operations,
                          std::size_t cancelled, bool empty, std::uint64_t micros) {
    std::lock_guard lock(mutex_);
    ++commit_attempts_;
    total_commit_us_ += micros;
    stats_.last_commit_us = micros;
    stats_.avg_commit_us = total_commit_us_ / commit_attempts_;
    if (ec) {
        ++stats_.failed_commits;
        if (!stats_.write_failing) ++stats_.write_error_episodes;
        stats_.write_failing = true;
        return;
    }
    stats_.write_failing = false;
    ++stats_.commits;
    stats_.batches += batches;
    stats_.operations += operations;
    stats_.cancelled_operations += cancelled;
    if (empty) ++stats_.empty_commits;
    stats_.invalid_batches += invalid;
}

}  // namespace mqgate::store
