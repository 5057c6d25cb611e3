// One configured webhook: its outbox, its store queue "webhook:<name>" and
// the requests that deliver it (README "Webhooks").
//
// Threads: offer(), stage(), admit(), stop() and stats() from any thread
// (stage() under the broker's lock, taking none of its own); everything else
// (the requests, the retry timer) on one I/O thread, `io`'s. The broker never
// waits for it: offer() adds to memory, submits the store write and returns.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "config/config.hpp"
#include "store/store.hpp"
#include "webhooks/http_client.hpp"
#include "webhooks/outbox.hpp"

namespace mqgate::webhooks {

struct WebhookStats {
    std::string name;
    std::uint64_t pending = 0;          // waiting or in flight
    std::uint64_t in_flight = 0;        // requests under way
    std::uint64_t delivered = 0;        // events answered 2xx
    std::uint64_t failed_attempts = 0;  // attempts answered otherwise, or with no answer
    std::uint64_t expired = 0;          // dropped: not delivered within max_age_s
    std::uint64_t overflowed = 0;       // dropped: over max_pending
    std::uint64_t refused = 0;          // dropped: answered 4xx (not 408 or 429), not retried
    std::uint64_t store_errors = 0;     // events the store did not take (kept in memory only)
    unsigned last_status = 0;           // of the last attempt; 0 = no answer
    std::string last_error;             // of the last failed attempt
    std::int64_t last_success_ms = 0;   // epoch ms; 0 = never
};

// An event given up, kept for inspection (GET /api/v1/webhooks/{name}/failed).
struct FailedEvent {
    std::uint64_t id = 0;         // the event's n (its webhook-id's, when sent alone)
    std::string client;           // its ordering key
    std::string reason;           // "expired" (not delivered within max_age_s), "overflowed" (over max_pending)
                                  // or "refused" (answered 4xx other than 408 and 429)
    unsigned attempts = 0;        // requests that carried it
    unsigned last_status = 0;     // of the last of them; 0 = no answer, or none made
    std::string last_error;       // of the last of them
    std::int64_t created_ms = 0;  // when it happened
    std::int64_t failed_ms = 0;   // when it was given up
    std::string body;             // the event's JSON
};

class Webhook : public std::enable_shared_from_this<Webhook> {
public:
    Webhook(config::WebhookOptions options, boost::asio::io_context& io, std::shared_ptr<boost::asio::ssl::context> tls,
            std::shared_ptr<store::Store> store);

    const config::WebhookOptions& options() const noexcept { return options_; }
    std::string queue_name() const { return "webhook:" + options_.name; }

    // Start-up, before any offer(): takes back the events its store queue
    // still holds, in their order, and starts delivering them. Throws StoreError.
    void restore();
    // An event for this webhook: `client` orders it, `body` is what is POSTed.
    void offer(const std::string& client, std::string body);
    // offer() in two steps, for an event that must be stored with something else (a message
    // and its acknowledgement, Broker::subscribe_staged): stage() gives the event its id and adds
    // its store write to `batch` (null: not stored); admit() adds it to the outbox once that batch
    // is submitted.
    OutboxItem stage(std::string client, std::string body, store::Batch* batch) const;
    void admit(OutboxItem item);

    // SIGHUP took this webhook out (WebhookService::reload): it sends nothing more, and the answers
    // to its requests under way are ignored. With a `successor` (its new definition, same name,
    // same store queue) the successor takes over every event it holds, with their ids; without
    // (removed) they are deleted from the store. Events admitted later go the same way. Returns
    // how many it held.
    std::size_t stop(const std::shared_ptr<Webhook>& successor);
    WebhookStats stats() const;
    // The events given up most recently, newest first: at most failed_kept, in memory only.
    std::vector<FailedEvent> failed() const;
    static constexpr std::size_t failed_kept = 100;

private:
    // One request's events (a batch, or one event), tried until delivered or expired.
    struct Delivery {
        std::vector<OutboxItem> events;
        std::string id;    // webhook-id: the same on every retry while the events are
        std::string body;  // the event, or the JSON array of them when batching
        unsigned failed = 0;
    };

    void schedule_pump();  // with mutex_ held
    void pump();
    Delivery delivery(std::vector<OutboxItem> events) const;
    void send(Delivery delivery);
    void on_result(Delivery delivery, const PostResult& result);
    void forget(std::uint64_t id);  // with mutex_ held: removes it from the store queue
    // With mutex_ held: `event` is dropped (the outbox no longer holds it), counted, kept for
    // inspection and removed from the store. `attempts`: the requests that carried it.
    void give_up(const OutboxItem& event, const char* reason, unsigned attempts, std::int64_t now);
    bool expired(std::int64_t created_ms, std::int64_t at_ms) const;
    // stop()'s other side: `events` of a predecessor, their ids made with `id_prefix` and `ids`.
    void adopt(std::vector<OutboxItem> events, std::string id_prefix, std::shared_ptr<std::atomic<std::uint64_t>> ids);

    const config::WebhookOptions options_;
    const std::optional<std::string> key_;  // HMAC key; none = unsigned
    boost::asio::io_context& io_;
    const std::shared_ptr<HttpClient> client_;  // the I/O thread's only
    std::shared_ptr<store::Store> store_;
    boost::asio::steady_timer timer_;  // the I/O thread's only
    // Event ids without a store; shared with a successor (stop()), whose ids must not repeat ours.
    // Replaced only before the webhook is listed, so stage() reads it unlocked.
    std::shared_ptr<std::atomic<std::uint64_t>> next_id_ = std::make_shared<std::atomic<std::uint64_t>>(1);

    mutable std::mutex mutex_;  // guards everything below
    std::string id_prefix_;     // webhook-id = prefix + the event's id
    Outbox outbox_;
    std::multimap<std::int64_t, Delivery> retries_;  // failed deliveries by when they are tried again
    std::size_t requests_ = 0;                      // under way
    bool pump_posted_ = false;
    bool stopped_ = false;                 // stop() was called
    std::shared_ptr<Webhook> successor_;   // where events admitted after stop() go; null: deleted
    std::mt19937_64 random_;
    WebhookStats stats_;
    std::deque<FailedEvent> failed_;  // newest first, at most failed_kept
};

}  // namespace mqgate::webhooks
