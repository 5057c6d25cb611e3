// The broker core's writer to the durable store (store/): what a broker
// operation changes in persistent sessions and retained messages becomes one
// batch, submitted when the operation ends. The frames that promise that
// state wait for the batch's commit: the acknowledgements (PUBACK, PUBREC,
// PUBREL, PUBCOMP, SUBACK, UNSUBACK, CONNACK) and QoS 2 deliveries, so a
// crash cannot undo what a peer was promised (BrokerCore::transmit). Later
// frames to the same connection wait behind them, so nothing overtakes them
// [MQTT-4.6.0-2..4].
//
// Called under the broker's lock, except the commit callbacks, which run on
// the store thread and touch only the connections they hold and committed_.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "mqtt/connection.hpp"
#include "mqtt/storage.hpp"
#include "store/store.hpp"

namespace mqgate::mqtt {

class Persistence {
public:
    explicit Persistence(std::shared_ptr<store::Store> store);
    Persistence(const Persistence&) = delete;
    Persistence& operator=(const Persistence&) = delete;

    store::Store& store() noexcept { return *store_; }
    // See Broker::dispatch_commits. Before any traffic: the store thread reads it unlocked.
    void set_dispatch(std::function<void(std::function<void()>)> dispatch) { shared_->dispatch = std::move(dispatch); }

    // --- the current operation's writes: persistent sessions only, callers check ---
    void put_session(std::string_view client_id);
    void erase_session(std::string_view client_id);
    void subscribe(std::string_view client_id, const std::string& filter, std::uint8_t qos);
    void unsubscribe(std::string_view client_id, const std::string& filter);
    // Gives `q` its seq. QoS 0 entries are not stored (nothing is owed for them): their seq stays 0.
    void enqueue(std::string_view client_id, QueuedMessage& q);
    void dequeue(std::string_view client_id, const QueuedMessage& q);
    // Writes `m` (new, or a changed stage), giving it a seq when it has none. `stored`: the message
    // is known to the store already (it came from the session's queue, whose entry is removed
    // after this in the same batch), so its bytes are not written again.
    void put_inflight(std::string_view client_id, InflightMessage& m, bool stored);
    void erase_inflight(std::string_view client_id, std::uint16_t packet_id);
    void put_inbound(std::string_view client_id, std::uint16_t packet_id, std::int64_t received_at_ms);
    void erase_inbound(std::string_view client_id, std::uint16_t packet_id);
    // $SYS topics are not written: the broker makes them anew every sys_interval.
    void put_retained(const MessagePtr& msg);
    void erase_retained(std::string_view topic);
    // The start of a rewrite of the whole broker state (after a failed commit), which the caller
    // follows with a put of everything it holds.
    void clear_all();

    // The current operation's batch, for the writes of staged internal subscribers
    // (Broker::subscribe_staged): they commit with the operation's own.
    store::Batch& batch() noexcept { return batch_; }
    // Has the current operation written anything? Its acknowledgements then wait for the commit.
    bool writing() const noexcept { return !batch_.empty(); }
    // Calls `done` once the current operation's batch is durable ({}), or with the error that kept it
    // from the file; where held frames are sent, in commit order. Only while writing().
    void on_commit(std::function<void(std::error_code)> done) { waiters_.push_back(std::move(done)); }

    // --- frames ---
    // Must a frame to a link whose mark is `mark` wait? Yes while an earlier frame of the link's is held.
    bool held(std::uint64_t mark) const noexcept { return mark > committed_.load(std::memory_order_acquire); }
    // Holds `frame` for `conn` until the current operation's batch is durable, and marks the link so
    // that its later frames wait too.
    void hold(std::uint64_t& mark, const std::shared_ptr<Connection>& conn, Frame frame);

    // --- the end of an operation ---
    // Did a commit fail since the last rewrite? The store may then lack what memory holds (or hold
    // what memory dropped): the core rewrites everything, at most once per second while it fails.
    bool rewrite_wanted() const noexcept { return shared_->failed.load(std::memory_order_acquire); }
    bool rewrite_due(std::int64_t now_ms) noexcept;
    // Submits the operation's batch with the frames it holds. A batch the store refuses (its queue
    // is full, or it is closed) or fails to commit is not acknowledged: its frames are dropped and
    // their connections closed (DisconnectReason::storage_error), so publishers resend.
    void end_op();

private:
    struct Commit;
    void put_message(const MessagePtr& msg);

    std::shared_ptr<store::Store> store_;
    store::Batch batch_;
    std::unordered_set<std::uint64_t> put_messages_;  // messages the batch writes already
    // A frame waiting for the current batch's commit, and the connection it goes to.
    struct Held {
        std::shared_ptr<Connection> conn;
        Frame frame;
    };
    std::vector<Held> held_;
    std::vector<std::function<void(std::error_code)>> waiters_;  // on_commit() callbacks of the current batch
    std::uint64_t submitted_ = 0;                     // batches submitted: the current one is submitted_ + 1
    std::int64_t last_rewrite_ms_ = 0;
    // Shared with the commit callbacks, which may outlive this object by a flush.
    struct Shared {
        std::atomic<std::uint64_t> committed{0};  // every batch up to this one is through its callback
        std::atomic<bool> failed{false};          // a commit failed since the last rewrite was submitted
        std::atomic<bool> failing{false};         // the last commit failed: an episode is going on
        std::function<void(std::function<void()>)> dispatch;  // null: frames go from the store thread
    };
    std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
    std::atomic<std::uint64_t>& committed_ = shared_->committed;
};

}  // namespace mqgate::mqtt
