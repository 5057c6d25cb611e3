#include "webhooks/webhook.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "support/log.hpp"
#include "support/unique_id.hpp"
#include "webhooks/backoff.hpp"
#include "webhooks/signature.hpp"

namespace mqgate::webhooks {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Events read back per store read at start-up.
constexpr std::size_t restore_page = 1000;

// A stored event: its ordering key, when it was offered, and the body.
std::string stored_form(const OutboxItem& item) {
    return json{{"client", item.client}, {"created_ms", item.created_ms}, {"body", item.body}}.dump();
}

std::optional<OutboxItem> from_stored(const store::QueueItem& stored) {
    const json j = json::parse(stored.data, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("client") || !j["client"].is_string() || !j.contains("created_ms") ||
        !j["created_ms"].is_number_integer() || !j.contains("body") || !j["body"].is_string())
        return std::nullopt;
    OutboxItem item;
    item.id = stored.seq;
    item.client = j["client"].get<std::string>();
    item.created_ms = j["created_ms"].get<std::int64_t>();
    item.body = j["body"].get<std::string>();
    return item;
}

}  // namespace

Webhook::Webhook(config::WebhookOptions options, asio::io_context& io, std::shared_ptr<asio::ssl::context> tls,
                 std::shared_ptr<store::Store> store)
    : options_(std::move(options)),
      key_(options_.secret.empty() ? std::nullopt : config::decode_webhook_secret(options_.secret)),
      // With a store the ids are unique across restarts already; without one, the process's own prefix makes them so.
      id_prefix_(store ? "msg_" : "msg_" + next_unique_id() + "_"),
      io_(io),
      tls_(std::move(tls)),
      store_(std::move(store)),
      timer_(io),
      outbox_(options_.max_pending),
      random_(std::random_device{}()) {
    stats_.name = options_.name;
}

void Webhook::restore() {
    if (!store_) return;
    std::lock_guard lock(mutex_);
    std::uint64_t after = 0;
    std::size_t restored = 0;
    for (;;) {  // bounded by what the queue holds
        const auto page = store_->read_queue(queue_name(), after, restore_page);
        for (const auto& stored : page) {
            after = stored.seq;
            auto item = from_stored(stored);
            if (!item) {
                LOG_WARN("webhook " << options_.name << ": stored event " << stored.seq << " is unreadable; removed");
                forget(stored.seq);
                continue;
            }
            ++restored;
            if (auto dropped = outbox_.push(std::move(*item))) {
                ++stats_.overflowed;
                forget(dropped->id);
            }
        }
        if (page.size() < restore_page) break;
    }
    if (restored) LOG_INFO("webhook " << options_.name << ": " << restored << " undelivered event(s) from the store");
    schedule_pump();
}

void Webhook::offer(const std::string& client, std::string body) {
    std::lock_guard lock(mutex_);
    OutboxItem item;
    item.id = store_ ? store_->next_id() : next_id_++;
    item.client = client;
    item.body = std::move(body);
    item.created_ms = now_ms();
    if (store_) {
        store::Batch batch;
        batch.add(store::op::Append{queue_name(), store::QueueItem{item.id, stored_form(item)}});
        // The outcome is not waited for: the event is delivered from memory either way.
        if (store_->submit(std::move(batch), [](std::error_code) noexcept {})) ++stats_.store_errors;
    }
    if (auto dropped = outbox_.push(std::move(item))) {
        ++stats_.overflowed;
        forget(dropped->id);
    }
    schedule_pump();
}

WebhookStats Webhook::stats() const {
    std::lock_guard lock(mutex_);
    WebhookStats s = stats_;
    s.pending = outbox_.size();
    s.in_flight = outbox_.in_flight();
    return s;
}

void Webhook::schedule_pump() {
    if (pump_posted_) return;
    pump_posted_ = true;
    asio::post(io_, [self = shared_from_this()] { self->pump(); });
}

bool Webhook::expired(std::int64_t created_ms, std::int64_t at_ms) const {
    return at_ms - created_ms > static_cast<std::int64_t>(options_.max_age_s) * 1000;
}

void Webhook::pump() {
    std::vector<OutboxItem> ready;
    {
        std::lock_guard lock(mutex_);
        pump_posted_ = false;
        const std::int64_t now = now_ms();
        while (outbox_.in_flight() < max_in_flight) {
            auto item = outbox_.take(now);
            if (!item) break;
            if (expired(item->created_ms, now)) {  // waited behind an earlier event of its client too long
                outbox_.finish(item->id);
                ++stats_.expired;
                forget(item->id);
                continue;
            }
            ready.push_back(std::move(*item));
        }
        // With every request slot taken, the next completion pumps again.
        if (const auto due = outbox_.next_due(); due && outbox_.in_flight() < max_in_flight) {
            timer_.expires_after(std::chrono::milliseconds(std::max<std::int64_t>(*due - now, 0)));
            timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
                if (!ec) self->pump();
            });
        }
    }
    for (auto& item : ready) send(std::move(item));
}

void Webhook::send(OutboxItem item) {
    const std::string id = id_prefix_ + std::to_string(item.id);
    const std::int64_t timestamp = now_ms() / 1000;
    PostRequest request;
    request.url = options_.target;
    request.timeout = std::chrono::milliseconds(options_.timeout_ms);
    for (const auto& header : options_.headers) request.headers.push_back(header);
    request.headers.emplace_back("webhook-id", id);
    request.headers.emplace_back("webhook-timestamp", std::to_string(timestamp));
    if (key_) request.headers.emplace_back("webhook-signature", signature(*key_, id, timestamp, item.body));
    request.body = std::move(item.body);
    post(io_, tls_, std::move(request),
         [self = shared_from_this(), id = item.id, created = item.created_ms, failed = item.failed](PostResult r) {
             self->on_result(id, created, failed, r);
         });
}

void Webhook::on_result(std::uint64_t id, std::int64_t created_ms, unsigned failed, const PostResult& result) {
    {
        std::lock_guard lock(mutex_);
        const std::int64_t now = now_ms();
        stats_.last_status = result.status;
        if (result.status >= 200 && result.status < 300) {
            outbox_.finish(id);
            ++stats_.delivered;
            stats_.last_success_ms = now;
            forget(id);
        } else {
            // Every other answer is retried, as Svix does: a 4xx may be a receiver's passing
            // mistake (a deploy, a missing route) as much as a refusal (README "Webhooks").
            ++stats_.failed_attempts;
            stats_.last_error = result.status ? "HTTP " + std::to_string(result.status) : result.error;
            const auto delay = retry_delay(failed + 1, random_(), result.retry_after);
            if (expired(created_ms, now + delay.count())) {
                outbox_.finish(id);
                ++stats_.expired;
                forget(id);
                LOG_WARN("webhook " << options_.name << ": event " << id << " dropped after " << failed + 1
                                    << " attempt(s) in max_age_s (" << stats_.last_error << ")");
            } else {
                outbox_.retry(id, now + delay.count());
            }
        }
    }
    pump();
}

void Webhook::forget(std::uint64_t id) {
    if (!store_) return;
    store::Batch batch;
    batch.add(store::op::Remove{queue_name(), id});
    if (store_->submit(std::move(batch), [](std::error_code) noexcept {})) ++stats_.store_errors;
}

}  // namespace mqgate::webhooks
