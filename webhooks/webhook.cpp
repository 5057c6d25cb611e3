#include "webhooks/webhook.hpp"

#include <algorithm>
#include <cstdio>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "store/queue_scan.hpp"
#include "support/log.hpp"
#include "support/unique_id.hpp"
#include "webhooks/backoff.hpp"
#include "webhooks/signature.hpp"

namespace mqgate::webhooks {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

bool is_power_of_ten(std::uint64_t n) {
    while (n >= 10 && n % 10 == 0) n /= 10;
    return n == 1;
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

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
      io_(io),
      client_(make_http_client(io, options_.target, std::move(tls))),
      store_(std::move(store)),
      timer_(io),
      // With a store the ids are unique across restarts already; without one, the process's own prefix makes them so.
      id_prefix_(store_ ? "msg_" : "msg_" + next_unique_id() + "_"),
      outbox_(options_.max_pending),
      random_(std::random_device{}()) {
    stats_.name = options_.name;
}

void Webhook::restore() {
    if (!store_) return;
    std::lock_guard lock(mutex_);
    std::size_t restored = 0;
    store::for_each_queue_item(*store_, queue_name(), [&](const store::QueueItem& stored) {
        auto item = from_stored(stored);
        if (!item) {
            LOG_WARN("webhook " << options_.name << ": stored event " << stored.seq << " is unreadable; removed");
            return forget(stored.seq);
        }
        ++restored;
        if (auto dropped = outbox_.push(std::move(*item))) give_up(*dropped, "overflowed", 0, now_ms());
    });
    if (restored) LOG_INFO("webhook " << options_.name << ": " << restored << " undelivered event(s) from the store");
    schedule_pump();
}

void Webhook::offer(const std::string& client, std::string body) {
    store::Batch batch;
    auto item = stage(client, std::move(body), store_ ? &batch : nullptr);
    // The outcome is not waited for: the event is delivered from memory either way.
    if (store_ && store_->submit(std::move(batch), [](std::error_code) noexcept {})) {
        std::lock_guard lock(mutex_);
        ++stats_.store_errors;
    }
    admit(std::move(item));
}

OutboxItem Webhook::stage(std::string client, std::string body, store::Batch* batch) const {
    OutboxItem item;
    item.id = store_ ? store_->next_id() : next_id_->fetch_add(1, std::memory_order_relaxed);
    item.client = std::move(client);
    item.body = std::move(body);
    item.created_ms = now_ms();
    item.due_ms = item.created_ms;
    if (batch) batch->add(store::op::Append{queue_name(), store::QueueItem{item.id, stored_form(item)}});
    return item;
}

void Webhook::admit(OutboxItem item) {
    std::shared_ptr<Webhook> successor;
    {
        std::lock_guard lock(mutex_);
        if (!stopped_) {
            if (auto dropped = outbox_.push(std::move(item))) give_up(*dropped, "overflowed", 0, now_ms());
            schedule_pump();
            return;
        }
        successor = successor_;
        if (!successor) forget(item.id);
    }
    if (successor) successor->admit(std::move(item));
}

std::size_t Webhook::stop(const std::shared_ptr<Webhook>& successor) {
    std::vector<OutboxItem> held;
    std::string prefix;
    {
        std::lock_guard lock(mutex_);
        stopped_ = true;
        successor_ = successor;
        held = outbox_.drain();  // in flight too: their answers will be ignored
        retries_.clear();
        prefix = id_prefix_;
        if (!successor && store_ && !held.empty()) {  // one write for them all
            store::Batch batch;
            for (const auto& e : held) batch.add(store::op::Remove{queue_name(), e.id});
            if (store_->submit(std::move(batch), [](std::error_code) noexcept {})) ++stats_.store_errors;
        }
    }
    asio::post(io_, [self = shared_from_this()] { self->timer_.cancel(); });
    const std::size_t n = held.size();
    if (successor) successor->adopt(std::move(held), std::move(prefix), next_id_);
    return n;
}

void Webhook::adopt(std::vector<OutboxItem> events, std::string id_prefix,
                    std::shared_ptr<std::atomic<std::uint64_t>> ids) {
    next_id_ = std::move(ids);
    std::lock_guard lock(mutex_);
    // The same webhook-ids as before: a receiver that got an event under way dedupes its second copy.
    id_prefix_ = std::move(id_prefix);
    const std::int64_t now = now_ms();
    for (auto& e : events) {
        e.due_ms = now;
        if (auto dropped = outbox_.push(std::move(e))) give_up(*dropped, "overflowed", 0, now);
    }
    schedule_pump();
}

WebhookStats Webhook::stats() const {
    std::lock_guard lock(mutex_);
    WebhookStats s = stats_;
    s.pending = outbox_.size();
    s.in_flight = requests_;
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
    std::vector<Delivery> ready;
    {
        std::lock_guard lock(mutex_);
        pump_posted_ = false;
        if (stopped_) return;
        const std::int64_t now = now_ms();
        const std::size_t batch = options_.batch_max_events;
        std::optional<std::int64_t> batch_due;  // when a batch still filling goes anyway
        while (requests_ + ready.size() < options_.max_connections) {
            if (!retries_.empty() && retries_.begin()->first <= now) {
                ready.push_back(std::move(retries_.begin()->second));
                retries_.erase(retries_.begin());
                continue;
            }
            const auto due = outbox_.next_due();
            if (!due || *due > now) break;
            // A batch waits for more events up to max_wait_ms after its first one was due.
            if (batch > 1 && outbox_.available(now, batch) < batch && now < *due + options_.batch_max_wait_ms) {
                batch_due = *due + options_.batch_max_wait_ms;
                break;
            }
            auto events = outbox_.take(now, batch);
            std::erase_if(events, [&](const OutboxItem& e) {
                if (!expired(e.created_ms, now)) return false;  // waited behind an earlier event of its client too long
                outbox_.finish(e.id);
                give_up(e, "expired", 0, now);
                return true;
            });
            if (!events.empty()) ready.push_back(delivery(std::move(events)));
        }
        // With every request slot taken, the next completion pumps again.
        if (requests_ + ready.size() < options_.max_connections) {
            std::optional<std::int64_t> wake = batch_due ? batch_due : outbox_.next_due();
            if (!retries_.empty() && (!wake || retries_.begin()->first < *wake)) wake = retries_.begin()->first;
            if (wake) {
                timer_.expires_after(std::chrono::milliseconds(std::max<std::int64_t>(*wake - now, 0)));
                timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
                    if (!ec) self->pump();
                });
            }
        }
        requests_ += ready.size();
    }
    for (auto& d : ready) send(std::move(d));
}

Webhook::Delivery Webhook::delivery(std::vector<OutboxItem> events) const {
    Delivery d;
    if (options_.batch_max_events == 1) {
        d.id = id_prefix_ + std::to_string(events.front().id);
        d.body = events.front().body;
    } else {
        // A batch's id names its events (the first, and a hash of all): a retry of the same
        // events has the same id, a batch formed differently (after a restart) another.
        std::uint64_t hash = 14695981039346656037ull;  // FNV-1a over the ids
        d.body = "[";
        for (const auto& e : events) {
            for (int shift = 0; shift < 64; shift += 8) hash = (hash ^ ((e.id >> shift) & 0xff)) * 1099511628211ull;
            if (d.body.size() > 1) d.body += ',';
            d.body += e.body;
        }
        d.body += ']';
        char hex[17];
        std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
        d.id = id_prefix_ + std::to_string(events.front().id) + "_" + hex;
    }
    d.events = std::move(events);
    return d;
}

namespace {

// 4xx other than 408 Request Timeout and 429 Too Many Requests, which ask for a later try.
bool refused(unsigned status) { return status >= 400 && status < 500 && status != 408 && status != 429; }

}  // namespace

void Webhook::send(Delivery d) {
    const std::int64_t timestamp = now_ms() / 1000;
    PostRequest request;
    request.timeout = std::chrono::milliseconds(options_.timeout_ms);
    for (const auto& header : options_.headers) request.headers.push_back(header);
    request.headers.emplace_back("webhook-id", d.id);
    request.headers.emplace_back("webhook-timestamp", std::to_string(timestamp));
    if (key_) request.headers.emplace_back("webhook-signature", signature(*key_, d.id, timestamp, d.body));
    request.body = d.body;
    client_->post(std::move(request),
                  [self = shared_from_this(), d = std::move(d)](PostResult r) mutable { self->on_result(std::move(d), r); });
}

void Webhook::on_result(Delivery d, const PostResult& result) {
    {
        std::lock_guard lock(mutex_);
        --requests_;
        if (stopped_) return;  // its events are its successor's, or deleted
        const std::int64_t now = now_ms();
        stats_.last_status = result.status;
        if (result.status >= 200 && result.status < 300) {
            for (const auto& e : d.events) {
                outbox_.finish(e.id);
                forget(e.id);
            }
            stats_.delivered += d.events.size();
            stats_.last_success_ms = now;
        } else if (refused(result.status)) {
            // The receiver looked at the request and said no: retrying the same bytes will not change
            // its mind. Given up at once and kept for inspection; later events of the client go on.
            ++stats_.failed_attempts;
            stats_.last_error = "HTTP " + std::to_string(result.status);
            for (const auto& e : d.events) {
                outbox_.finish(e.id);
                give_up(e, "refused", d.failed + 1, now);
            }
            LOG_WARN("webhook " << options_.name << ": " << d.events.size() << " event(s) refused with "
                                << stats_.last_error << ", not retried");
        } else {
            ++stats_.failed_attempts;
            stats_.last_error = result.status ? "HTTP " + std::to_string(result.status) : result.error;
            const auto delay = retry_delay(d.failed + 1, random_(), result.retry_after);
            const std::size_t before = d.events.size();
            std::erase_if(d.events, [&](const OutboxItem& e) {
                if (!expired(e.created_ms, now + delay.count())) return false;
                outbox_.finish(e.id);
                give_up(e, "expired", d.failed + 1, now);
                LOG_WARN("webhook " << options_.name << ": event " << e.id << " dropped after " << d.failed + 1
                                    << " attempt(s) in max_age_s (" << stats_.last_error << ")");
                return true;
            });
            if (!d.events.empty()) {
                // Fewer events make another request: another id.
                const unsigned failed = d.failed + 1;
                if (d.events.size() != before) d = delivery(std::move(d.events));
                d.failed = failed;
                retries_.emplace(now + delay.count(), std::move(d));
            }
        }
    }
    pump();
}

void Webhook::give_up(const OutboxItem& event, const char* reason, unsigned attempts, std::int64_t now) {
    const std::string_view why(reason);
    const std::uint64_t n = ++(why == "expired" ? stats_.expired : why == "refused" ? stats_.refused : stats_.overflowed);
    // A dead receiver overflows the outbox once per new event: logged at the 1st, 10th, 100th... only.
    if (why == "overflowed" && is_power_of_ten(n))
        LOG_WARN("webhook " << options_.name << ": more than max_pending (" << options_.max_pending
                            << ") events waiting: the oldest dropped (" << n << " so far)");
    forget(event.id);
    FailedEvent f;
    f.id = event.id;
    f.client = event.client;
    f.reason = reason;
    f.attempts = attempts;
    if (attempts) {  // the webhook's last attempt was this event's
        f.last_status = stats_.last_status;
        f.last_error = stats_.last_error;
    }
    f.created_ms = event.created_ms;
    f.failed_ms = now;
    f.body = event.body;
    failed_.push_front(std::move(f));
    if (failed_.size() > failed_kept) failed_.pop_back();
}

std::vector<FailedEvent> Webhook::failed() const {
    std::lock_guard lock(mutex_);
    return {failed_.begin(), failed_.end()};
}

void Webhook::forget(std::uint64_t id) {
    if (!store_) return;
    store::Batch batch;
    batch.add(store::op::Remove{queue_name(), id});
    if (store_->submit(std::move(batch), [](std::error_code) noexcept {})) ++stats_.store_errors;
}

}  // namespace mqgate::webhooks
