#include "http/stream_core.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "control/request_json.hpp"
#include "events/event_json.hpp"
#include "events/event_payload.hpp"
#include "http/message_json.hpp"
#include "http/publish_join.hpp"
#include "http/request_acl.hpp"
#include "mqtt/errors.hpp"
#include "mqtt/topic.hpp"
#include "support/json_check.hpp"

namespace mqgate::http {
namespace {

using nlohmann::json;

// A retained replay reads at most this many stored topics per hold of the
// broker's lock, matching or not, and queues at most this many messages per
// chunk (fewer with a small queue: a chunk fits in a quarter of it).
constexpr std::size_t replay_scan_budget = 4096;
constexpr std::size_t replay_chunk_max = 256;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

StreamCore::StreamCore(std::shared_ptr<StreamHub> hub, events::EventLog& events, StreamLimits limits,
                       std::weak_ptr<StreamSignals> signals)
    : hub_(std::move(hub)), broker_(hub_->broker()), events_(events), limits_(limits), signals_(std::move(signals)) {}

StreamCore::~StreamCore() { close(); }

std::optional<std::size_t> StreamCore::event_index(std::string_view name) {
    for (std::size_t i = 0; i < events::EventLog::event_types; ++i) {
        if (name == mqtt::to_string(static_cast<mqtt::EventType>(i))) return i;
    }
    return std::nullopt;
}

// --- the queue ---

bool StreamCore::drops(std::size_t bytes) {
    // Once a run of drops starts it lasts until the consumer has drained the
    // queue to a quarter: the messages kept arrive in runs of at least a
    // quarter of the queue, and each run of drops costs one notice, so
    // notices stay a small share of the frames however large the overload.
    if (drop_state_.load(std::memory_order_relaxed) & dropping_bit) return true;
    if (!over_half(bytes) && queued_bytes_ + bytes <= limits_.queue_bytes) return false;
    drop_state_.fetch_or(dropping_bit, std::memory_order_relaxed);
    return true;
}

bool StreamCore::drop_without_lock() {
    auto state = drop_state_.load(std::memory_order_relaxed);
    while (state & dropping_bit) {
        if (drop_state_.compare_exchange_weak(state, state + 1, std::memory_order_relaxed)) return true;
    }
    return false;
}

void StreamCore::fold_drops(bool end_run) {
    const auto state = end_run ? drop_state_.exchange(0, std::memory_order_relaxed)
                               : drop_state_.fetch_and(dropping_bit, std::memory_order_relaxed);
    if (const auto pending = state & ~dropping_bit) note_drop(pending);
}

bool StreamCore::over_half(std::size_t bytes) const {
    // A lone message may use more than half: only a backlog makes QoS 0 wait.
    return !queue_.empty() &&
           (queued_bytes_ + bytes > limits_.queue_bytes / 2 || queue_.size() + 1 > limits_.queue_frames / 2);
}

StreamCore::Signal StreamCore::note_drop(std::uint64_t count) {
    // One notice per run of drops, in order: it follows the last message
    // queued before them, and counts until it is sent or a message follows.
    if (!queue_.empty() && queue_.back().kind == StreamItem::Kind::dropped) {
        queue_.back().seq += count;
        return Signal::none;
    }
    queue_.push_back(StreamItem{StreamItem::Kind::dropped, count, {}});
    return std::exchange(idle_, false) ? Signal::wake : Signal::none;
}

StreamCore::Signal StreamCore::append(StreamItem&& item, bool droppable) {
    if (overflowed_ || closed_queue_) return Signal::none;
    fold_drops(false);  // drops counted meanwhile come before this item
    if (droppable && drops(item.size())) return note_drop(1);
    const std::size_t bytes = queued_bytes_ + item.size();
    const std::size_t frames = queue_.size() + 1;
    if (bytes > limits_.queue_bytes || frames > limits_.queue_frames) {
        // Nothing queued will be sent: free it now.
        overflowed_ = true;
        queue_.clear();
        queued_bytes_ = 0;
        return Signal::overflow;
    }
    queued_bytes_ = bytes;
    queue_.push_back(std::move(item));
    return std::exchange(idle_, false) ? Signal::wake : Signal::none;
}

void StreamCore::notify(Signal signal) {
    if (signal == Signal::none) return;
    const auto signals = signals_.lock();
    if (!signals) return;
    if (signal == Signal::overflow) signals->overflow();
    if (signal == Signal::wake) signals->wake();
}

void StreamCore::push(StreamItem item, bool droppable) {
    Signal signal;
    {
        std::lock_guard lock(mutex_);
        signal = append(std::move(item), droppable);
    }
    notify(signal);
}

bool StreamCore::next(StreamItem& out) {
    if (replay_wanted()) {
        std::lock_guard subs(subs_mutex_);
        replay_chunk();
    }
    std::lock_guard lock(mutex_);
    if (overflowed_ || closed_queue_) return false;
    fold_drops(false);
    if (queue_.empty()) {
        idle_ = true;
        return false;
    }
    out = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= out.size();
    if ((drop_state_.load(std::memory_order_relaxed) & dropping_bit) && queue_.size() <= limits_.queue_frames / 4 &&
        queued_bytes_ <= limits_.queue_bytes / 4)
        fold_drops(true);
    if (out.kind == StreamItem::Kind::dropped) {
        out.json = std::make_shared<const std::string>(dump(json{{"type", "dropped"}, {"count", out.seq}}));
        out.seq = 0;
    }
    return true;
}

bool StreamCore::overflowed() const {
    std::lock_guard lock(mutex_);
    return overflowed_;
}

void StreamCore::close() {
    std::lock_guard subs(subs_mutex_);
    if (closed_) return;
    closed_ = true;
    for (const auto& [filter, sub] : subscriptions_) hub_->unsubscribe(sub.broker_id);
    subscriptions_.clear();
    replays_.clear();
    if (listener_) events_.unlisten(*listener_);
    listener_.reset();
    for (const auto& [key, batch] : requests_waiting_) control::RequestService::cancel(batch);
    requests_waiting_.clear();
    std::lock_guard lock(mutex_);
    closed_queue_ = true;
    replaying_ = false;
    queue_.clear();
    queued_bytes_ = 0;
}

// --- what arrives from the broker and the event log ---

void StreamCore::on_message(const mqtt::MessagePtr& msg, std::uint8_t granted) {
    const std::uint8_t qos = std::min(msg->qos, granted);
    if (qos == 0) {
        // Cheap early drop: a flood to a slow consumer should not pay for
        // JSON, nor, during a run of drops, for the queue's lock.
        if (drop_without_lock()) return;
        Signal signal = Signal::none;
        bool drop;
        {
            std::lock_guard lock(mutex_);
            if (overflowed_ || closed_queue_) return;
            fold_drops(false);
            drop = drops(msg->payload.size());
            if (drop) signal = note_drop(1);
        }
        if (drop) return notify(signal);
    }
    push(StreamItem{StreamItem::Kind::message, 0, message_json(msg, qos, false)}, qos == 0);
}

// --- retained replay ---

bool StreamCore::replay_wanted() const {
    std::lock_guard lock(mutex_);
    // Low water: a chunk added now keeps the queue under half full, where
    // QoS 0 messages would start to be dropped.
    return replaying_ && !overflowed_ && !closed_queue_ && queue_.size() < chunk_size() &&
           queued_bytes_ <= limits_.queue_bytes / 4;
}

std::size_t StreamCore::chunk_size() const noexcept {
    return std::clamp<std::size_t>(limits_.queue_frames / 4, 1, replay_chunk_max);
}

bool StreamCore::replay_chunk() {
    if (replays_.empty()) return false;
    Replay& replay = replays_.front();
    std::vector<std::pair<StreamItem, bool>> items;  // and whether it may be dropped (QoS 0)
    bool finished = false;
    // A stretch of stored topics that do not match is skipped one bounded
    // read at a time, letting MQTT traffic take the lock in between.
    while (items.empty() && !finished) {
        const auto page = broker_.retained_page(replay.filter, replay.after, chunk_size(), replay_scan_budget);
        std::size_t bytes = 0;
        std::size_t taken = 0;
        for (const auto& msg : page.messages) {
            const std::uint8_t qos = std::min(msg->qos, replay.qos);
            items.emplace_back(StreamItem{StreamItem::Kind::message, 0, message_json(msg, qos, true)}, qos == 0);
            bytes += items.back().first.size();
            ++taken;
            if (bytes >= limits_.queue_bytes / 4) break;  // large payloads: a quarter of the queue per chunk
        }
        if (taken < page.messages.size()) {
            replay.after = page.messages[taken - 1]->topic;
        } else if (page.next.empty()) {
            finished = true;
        } else {
            replay.after = page.next;
        }
    }
    if (finished) replays_.erase(replays_.begin());
    Signal signal = Signal::none;
    {
        std::lock_guard lock(mutex_);
        replaying_ = !replays_.empty();
        for (auto& [item, droppable] : items) {
            const Signal s = append(std::move(item), droppable);
            if (s != Signal::none) signal = s;
            if (s == Signal::overflow) break;
        }
    }
    notify(signal);
    return true;
}

void StreamCore::on_event(const events::LoggedEvent& e) {
    // Under the lock, so replayed and live events cannot interleave out of order.
    Signal signal = Signal::none;
    {
        std::lock_guard lock(mutex_);
        const auto type = static_cast<std::size_t>(e.event.type);
        if (type >= event_mask_.size() || !event_mask_.test(type) || e.seq <= event_watermark_) return;
        event_watermark_ = e.seq;
        signal = append(event_item(e), false);
    }
    notify(signal);
}

StreamItem StreamCore::event_item(const events::LoggedEvent& e) {
    auto j = events::event_to_json(e.seq, e.event);
    j["type"] = "event";
    return StreamItem{StreamItem::Kind::event, e.seq, std::make_shared<const std::string>(dump(j))};
}

// --- subscriptions and events ---

std::optional<StreamError> StreamCore::check_filter(const std::string& filter) const {
    std::lock_guard subs(subs_mutex_);
    return check_filter_locked(filter);
}

std::optional<StreamError> StreamCore::check_filter_locked(const std::string& filter) const {
    if (const auto ec = mqtt::validate_topic_filter(filter))
        return StreamError{"invalid_filter", "'" + filter + "' is not a valid topic filter: " + ec.message()};
    if (mqtt::topic_levels(filter) > broker_.limits().max_topic_levels)
        return StreamError{"invalid_filter", "'" + filter + "' has more than " +
                                                 std::to_string(broker_.limits().max_topic_levels) + " levels"};
    if (!subscriptions_.contains(filter) && subscriptions_.size() >= limits_.max_filters)
        return StreamError{"too_many_subscriptions",
                           "at most " + std::to_string(limits_.max_filters) + " filters per stream"};
    return std::nullopt;
}

std::optional<StreamError> StreamCore::subscribe(const std::string& filter, std::uint8_t qos) {
    std::lock_guard subs(subs_mutex_);
    if (closed_) return StreamError{"closed", "the stream is closed"};
    if (auto err = check_filter_locked(filter)) return err;
    drop_subscription(filter);
    const std::uint64_t id = hub_->subscribe(filter, weak_from_this(), qos);
    if (id == 0) return StreamError{"invalid_filter", "'" + filter + "' was refused by the broker"};
    subscriptions_.emplace(filter, Subscription{id, qos});
    replays_.push_back(Replay{id, filter, qos, {}});
    {
        std::lock_guard lock(mutex_);
        replaying_ = true;
    }
    // The first chunk right behind the ack, unless older replays go first.
    if (replays_.size() == 1) replay_chunk();
    return std::nullopt;
}

bool StreamCore::unsubscribe(const std::string& filter) {
    std::lock_guard subs(subs_mutex_);
    return drop_subscription(filter);
}

bool StreamCore::drop_subscription(const std::string& filter) {
    const auto it = subscriptions_.find(filter);
    if (it == subscriptions_.end()) return false;
    const std::uint64_t id = it->second.broker_id;
    hub_->unsubscribe(id);
    subscriptions_.erase(it);
    std::erase_if(replays_, [id](const Replay& r) { return r.broker_id == id; });
    std::lock_guard lock(mutex_);
    replaying_ = !replays_.empty();
    return true;
}

void StreamCore::enable_events(EventMask mask, std::optional<std::uint64_t> resume_after) {
    {
        std::lock_guard subs(subs_mutex_);
        if (closed_) return;
        if (!listener_) {
            listener_ = events_.listen([weak = weak_from_this()](const events::LoggedEvent& e) {
                if (auto self = weak.lock()) self->on_event(e);
            });
        }
    }
    Signal signal = Signal::none;
    {
        std::lock_guard lock(mutex_);
        event_mask_ = mask;
        if (!resume_after) return;
        // Whatever the ring holds now is replayed; the listener delivers only
        // what comes later (a larger seq), so nothing is sent twice.
        const std::uint64_t last = events_.last_seq();
        const auto replay = events_.since(*resume_after, events_.capacity());
        event_watermark_ = replay.empty() ? std::min(*resume_after, last) : replay.back().seq;
        for (const auto& e : replay) {
            const auto type = static_cast<std::size_t>(e.event.type);
            if (type >= event_mask_.size() || !event_mask_.test(type)) continue;
            const Signal s = append(event_item(e), false);
            if (s != Signal::none) signal = s;
            if (s == Signal::overflow) break;
        }
    }
    notify(signal);
}

// --- client ops ---

void StreamCore::reply(json j) {
    push(StreamItem{StreamItem::Kind::reply, 0, std::make_shared<const std::string>(dump(j))}, false);
}

void StreamCore::error(const json& id, std::string_view code, std::string message) {
    reply(json{{"type", "error"}, {"id", id}, {"error", {{"code", code}, {"message", std::move(message)}}}});
}

void StreamCore::handle(std::string_view text) {
    if (auto defect = json_check::check(text))
        return error(nullptr, "invalid_json", "the message is not valid JSON: " + defect->message);
    const json op = json::parse(text, nullptr, false);
    if (!op.is_object()) return error(nullptr, "invalid_request", "an op must be a JSON object");
    json id = nullptr;
    if (const auto it = op.find("id"); it != op.end()) {
        if (!it->is_number() && !it->is_string() && !it->is_null())
            return error(nullptr, "invalid_id", "'id' must be a number or a string");
        id = *it;
    }
    handle_op(op, id);
}

void StreamCore::handle_op(const json& op, const json& id) {
    const auto name = op.find("op");
    if (name == op.end() || !name->is_string())
        return error(id, "invalid_op", "'op' is required: subscribe, unsubscribe, publish, request, events or ping");
    const auto& n = name->get_ref<const std::string&>();
    if (n == "subscribe") return op_subscribe(op, id);
    if (n == "unsubscribe") return op_unsubscribe(op, id);
    if (n == "publish") return op_publish(op, id);
    if (n == "events") return op_events(op, id);
    if (n == "request") return op_request(op, id);
    if (n == "ping") return reply(json{{"type", "pong"}, {"id", id}});
    error(id, "invalid_op", "unknown op '" + n + "': subscribe, unsubscribe, publish, request, events or ping");
}

void StreamCore::op_subscribe(const json& op, const json& id) {
    const auto f = op.find("filter");
    if (f == op.end() || !f->is_string()) return error(id, "invalid_filter", "'filter' is required and must be a string");
    std::uint8_t qos = 0;
    if (const auto q = op.find("qos"); q != op.end()) {
        if (!q->is_number_integer() || q->get<std::int64_t>() < 0 || q->get<std::int64_t>() > 2)
            return error(id, "invalid_qos", "'qos' must be 0, 1 or 2");
        qos = static_cast<std::uint8_t>(q->get<std::int64_t>());
    }
    const auto& filter = f->get_ref<const std::string&>();
    if (auto err = check_filter(filter)) return error(id, err->code, std::move(err->message));
    if (caller_.may && !caller_.may(filter, mqtt::Access::read))
        return error(id, "forbidden", "the ACL does not let '" + caller_.name + "' subscribe to '" + filter + "'");
    // The ack first: retained messages follow it, as SUBACK precedes them in MQTT.
    reply(json{{"type", "ack"}, {"id", id}, {"op", "subscribe"}, {"filter", filter}, {"qos", qos}});
    if (auto err = subscribe(filter, qos)) error(id, err->code, std::move(err->message));
}

void StreamCore::op_unsubscribe(const json& op, const json& id) {
    const auto f = op.find("filter");
    if (f == op.end() || !f->is_string()) return error(id, "invalid_filter", "'filter' is required and must be a string");
    const auto& filter = f->get_ref<const std::string&>();
    // Like UNSUBACK: acknowledged whether or not the filter was subscribed.
    unsubscribe(filter);
    reply(json{{"type", "ack"}, {"id", id}, {"op", "unsubscribe"}, {"filter", filter}});
}

void StreamCore::op_publish(const json& op, const json& id) {
    const auto topic = op.find("topic");
    if (topic == op.end() || !topic->is_string()) return error(id, "invalid_topic", "'topic' is required and must be a string");
    const auto& name = topic->get_ref<const std::string&>();
    if (const auto ec = mqtt::validate_topic_name(name))
        return error(id, "invalid_topic", "'topic' is not a valid topic name: " + ec.message());
    std::uint8_t qos = 0;
    if (const auto q = op.find("qos"); q != op.end()) {
        if (!q->is_number_integer() || q->get<std::int64_t>() < 0 || q->get<std::int64_t>() > 2)
            return error(id, "invalid_qos", "'qos' must be 0, 1 or 2");
        qos = static_cast<std::uint8_t>(q->get<std::int64_t>());
    }
    bool retain = false;
    if (const auto r = op.find("retain"); r != op.end()) {
        if (!r->is_boolean()) return error(id, "invalid_retain", "'retain' must be true or false");
        retain = r->get<bool>();
    }
    auto payload = payload::read(op);
    if (payload.error) return error(id, payload.error->code, std::move(payload.error->message));
    if (caller_.may && !caller_.may(name, mqtt::Access::write))
        return error(id, "forbidden", "the ACL does not let '" + caller_.name + "' publish to '" + name + "'");
    // The ack, like a PUBACK, waits until what the publish wrote is durable (http/publish_join.hpp).
    auto join = std::make_shared<PublishJoin<std::size_t>>(
        [weak = weak_from_this(), id](std::size_t matched, std::error_code ec) {
            const auto self = weak.lock();
            if (!self) return;
            if (ec)
                return self->error(id, "not_stored",
                                   "the message reached the connected subscribers but could not be stored (" +
                                       ec.message() + "); publish it again");
            self->reply(json{{"type", "ack"}, {"id", id}, {"op", "publish"}, {"matched", matched}});
        });
    const auto result = broker_.publish(name, std::move(payload.bytes), qos, retain, {},
                                        [join](std::error_code ec) { join->stored(ec); });
    if (result.error == mqtt::Errc::sys_topic_forbidden)
        return error(id, "forbidden_topic", "'" + name + "': " + result.error.message());
    if (result.error) return error(id, "invalid_topic", "'topic' was refused: " + result.error.message());
    join->routed(result.matched);
}

// The fields of POST /api/v1/requests; answered by {"type": "response", "id",
// ...the REST answer's 200 body} or {"type": "error", "id", "error", ...}.
void StreamCore::op_request(const json& op, const json& id) {
    if (!requests_) return error(id, "unavailable", "requests to devices are not served here");
    auto planned = control::plan_request(op, requests_->limits());
    if (planned.refusal) return error(id, planned.refusal->code, std::move(planned.refusal->message));
    if (auto denial = request_acl_denial(caller_, planned.plan)) return error(id, "forbidden", std::move(*denial));
    auto exchanges = planned.plan.exchanges;
    for (auto& e : planned.plan.exchanges) e.payload.clear();  // the answer needs ids and topics only
    auto plan = std::make_shared<const control::Plan>(std::move(planned.plan));

    std::lock_guard subs(subs_mutex_);
    if (closed_) return;
    const std::uint64_t key = ++last_request_;
    // `done` runs on the service's strand, never inside start().
    auto done = [weak = weak_from_this(), plan, id, key](std::vector<control::Outcome> outcomes) {
        const auto self = weak.lock();
        if (!self) return;
        {
            std::lock_guard lock(self->subs_mutex_);
            self->requests_waiting_.erase(key);
        }
        auto answer = control::answer(*plan, outcomes);
        answer.body["type"] = answer.status == 200 ? "response" : "error";
        answer.body["id"] = id;
        self->reply(std::move(answer.body));
    };
    auto batch = requests_->start(std::move(exchanges), plan->timeout, plan->wait_for_connect, std::move(done));
    if (!batch)
        return error(id, "too_many_requests",
                     "more than requests.max_pending (" + std::to_string(requests_->limits().max_pending) +
                         ") device requests would be waiting");
    requests_waiting_.emplace(key, std::move(batch));
}

void StreamCore::op_events(const json& op, const json& id) {
    EventMask mask;
    json echoed = json::array({"*"});
    if (const auto f = op.find("filter"); f != op.end()) {
        if (!f->is_array()) return error(id, "invalid_filter", "'filter' must be an array of event names");
        for (const auto& name : *f) {
            if (!name.is_string()) return error(id, "invalid_filter", "'filter' must be an array of event names");
            const auto& text = name.get_ref<const std::string&>();
            if (text == "*") {
                mask.set();
            } else if (auto index = event_index(text)) {
                mask.set(*index);
            } else {
                return error(id, "invalid_event", "unknown event '" + text + "'");
            }
        }
        echoed = *f;
    } else {
        mask.set();
    }
    // The ack precedes the first event it enables.
    reply(json{{"type", "ack"}, {"id", id}, {"op", "events"}, {"filter", echoed}});
    enable_events(mask);
}

}  // namespace mqgate::http
