// The JSON stream's state, shared by its two transports (WebSocket
// /api/v1/stream and SSE /api/v1/stream/sse): the client's ops, its internal
// broker subscriptions and event filter, and a bounded send queue. The
// protocol is in README.md ("JSON stream") and the OpenAPI document.
//
// Threading: broker and event-log callbacks push from any thread; handle()
// and next() are called from the transport's own thread; close() (and the
// subscription calls) from any thread. The transport is told through
// StreamSignals::wake() when items wait while it is idle, and through
// overflow() (once) when the queue went over its limit; both run on the
// pushing thread and must only post.
#pragma once

#include <atomic>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "control/request_service.hpp"
#include "events/event_log.hpp"
#include "http/router.hpp"
#include "http/stream_hub.hpp"
#include "mqtt/broker.hpp"
#include "mqtt/ring_queue.hpp"

namespace mqgate::http {

// What a transport takes from the core for one write, at most about: one
// write stays short, and the thread's other connections get their turn.
inline constexpr std::size_t max_write_batch = 64 * 1024;

struct StreamLimits {
    std::size_t queue_bytes = 1 << 20;  // over -> closed (1008)
    std::size_t queue_frames = 1000;    // over -> closed (1008)
    std::size_t max_filters = 1000;     // subscriptions per stream
};

struct StreamItem {
    enum class Kind { message, event, reply, dropped };
    Kind kind = Kind::reply;
    std::uint64_t seq = 0;  // events: the event log's sequence number; dropped: the count
    // The JSON object's text, immutable: a message's is shared by every
    // stream that receives it at the same QoS (http/message_json.hpp).
    std::shared_ptr<const std::string> json;
    std::size_t size() const noexcept { return json ? json->size() : 0; }
};

struct StreamError {
    std::string code;
    std::string message;
};

using EventMask = std::bitset<events::EventLog::event_types>;

// What a StreamCore tells its transport (see the threading note above).
class StreamSignals {
public:
    virtual void wake() = 0;
    virtual void overflow() = 0;

protected:
    ~StreamSignals() = default;
};

class StreamCore : public std::enable_shared_from_this<StreamCore> {
public:
    // `hub` holds the broker subscriptions (shared with the other streams).
    StreamCore(std::shared_ptr<StreamHub> hub, events::EventLog& events, StreamLimits limits,
               std::weak_ptr<StreamSignals> signals);
    ~StreamCore();
    StreamCore(const StreamCore&) = delete;
    StreamCore& operator=(const StreamCore&) = delete;

    // Whose ops handle() runs: its subscribe and publish ops are checked
    // against `caller.may` (the role and the ACL). Before the first op.
    void restrict_to(Caller caller) { caller_ = std::move(caller); }
    // Serves the "request" op (requests to devices); without it the op is
    // refused. Before the first op; `requests` outlives the stream.
    void serve_requests(control::RequestService* requests) { requests_ = requests; }

    // One client op (a WebSocket text message); the answer is queued.
    void handle(std::string_view text);

    // Subscribes `filter` (replacing an earlier subscription to the same
    // filter). Live messages are queued from now on; the matching retained
    // messages follow in chunks: the first at once, the others as next()
    // empties the queue, each read under one short hold of the broker's
    // lock (README "JSON stream").
    std::optional<StreamError> subscribe(const std::string& filter, std::uint8_t qos);
    bool unsubscribe(const std::string& filter);
    // Events of the types in `mask` from now on; with `resume_after`, first
    // those still in the ring with a larger seq.
    void enable_events(EventMask mask, std::optional<std::uint64_t> resume_after = std::nullopt);

    // The next item to send; false when the queue is empty and no retained
    // message waits (the transport is idle until the next wake). Dropped QoS
    // 0 messages come out as one "dropped" item where they would have been.
    // Reads the next chunk of a retained replay when the queue runs low.
    bool next(StreamItem& out);
    bool overflowed() const;
    // Drops every subscription and the event listener. Idempotent.
    void close();

    // "client.connected" -> its bit; nullopt for an unknown name.
    static std::optional<std::size_t> event_index(std::string_view name);

private:
    friend class StreamHub;  // delivers the messages of the stream's filters

    struct Subscription {
        std::uint64_t broker_id = 0;  // the hub's receiver id
        std::uint8_t qos = 0;
    };

    enum class Signal { none, wake, overflow };

    // The retained messages of one subscription still to send.
    struct Replay {
        std::uint64_t broker_id = 0;  // the subscription it belongs to
        std::string filter;
        std::uint8_t qos = 0;
        std::string after;  // the last topic read
    };

    void on_message(const mqtt::MessagePtr& msg, std::uint8_t granted);
    std::size_t chunk_size() const noexcept;
    // Queues the next chunk of the oldest replay (subs_mutex_ held); false
    // when no replay is left.
    bool replay_chunk();
    bool replay_wanted() const;
    void on_event(const events::LoggedEvent& e);
    static StreamItem event_item(const events::LoggedEvent& e);
    std::optional<StreamError> check_filter(const std::string& filter) const;
    std::optional<StreamError> check_filter_locked(const std::string& filter) const;
    bool drop_subscription(const std::string& filter);
    // Appends under the queue's limits (mutex_ held); droppable items (QoS 0
    // messages) are dropped and counted once the queue is half full, and
    // from then on until it has drained to a quarter.
    Signal append(StreamItem&& item, bool droppable);
    // Whether a QoS 0 message of about `bytes` is dropped (mutex_ held).
    bool drops(std::size_t bytes);
    // Counts a drop without the lock when a run of drops is on.
    bool drop_without_lock();
    // Moves the drops counted without the lock into the notice at the back
    // (mutex_ held); `end_run` also ends the run.
    void fold_drops(bool end_run);
    bool over_half(std::size_t bytes) const;
    Signal note_drop(std::uint64_t count);
    // Tells the transport, outside the lock.
    void notify(Signal signal);
    void push(StreamItem item, bool droppable);
    void reply(nlohmann::json j);
    void error(const nlohmann::json& id, std::string_view code, std::string message);
    void handle_op(const nlohmann::json& op, const nlohmann::json& id);
    void op_subscribe(const nlohmann::json& op, const nlohmann::json& id);
    void op_unsubscribe(const nlohmann::json& op, const nlohmann::json& id);
    void op_publish(const nlohmann::json& op, const nlohmann::json& id);
    void op_events(const nlohmann::json& op, const nlohmann::json& id);
    void op_request(const nlohmann::json& op, const nlohmann::json& id);

    const std::shared_ptr<StreamHub> hub_;
    mqtt::Broker& broker_;
    events::EventLog& events_;
    const StreamLimits limits_;
    // Weak, not two std::functions: 16 bytes and no allocation per stream
    // (memory per idle stream: bench idle-stream). Told only while it exists.
    const std::weak_ptr<StreamSignals> signals_;
    Caller caller_;  // transport thread only
    control::RequestService* requests_ = nullptr;

    // Under subs_mutex_: close() may come from the gateway's shutdown thread,
    // while the broker and event log still exist.
    mutable std::mutex subs_mutex_;
    std::map<std::string, Subscription, std::less<>> subscriptions_;
    std::optional<std::uint64_t> listener_;
    bool closed_ = false;
    std::vector<Replay> replays_;  // oldest subscription first
    // Requests to devices still waiting, cancelled by close().
    std::map<std::uint64_t, std::shared_ptr<control::RequestService::Batch>> requests_waiting_;
    std::uint64_t last_request_ = 0;

    // Shared with the callbacks' threads.
    mutable std::mutex mutex_;
    // Not std::deque, which allocates about 600 bytes even when empty (memory
    // per idle stream: bench idle-stream, idle-sse).
    mqtt::RingQueue<StreamItem> queue_;
    std::size_t queued_bytes_ = 0;
    bool idle_ = true;           // the transport waits for a wake
    bool overflowed_ = false;
    bool closed_queue_ = false;  // close() ran: nothing more is queued
    bool replaying_ = false;     // replays_ is not empty
    // A run of QoS 0 drops goes on until the queue is down to a quarter.
    // While it does, the top bit is set and the rest counts the drops not
    // yet in the queue's notice, counted by drop_without_lock(). Only a
    // holder of mutex_ sets the bit or takes the count.
    static constexpr std::uint64_t dropping_bit = std::uint64_t{1} << 63;
    std::atomic<std::uint64_t> drop_state_{0};
    EventMask event_mask_;
    std::uint64_t event_watermark_ = 0;  // last event seq queued or skipped
};

}  // namespace mqgate::http
