// A batch of writes that commit together or not at all: build one per
// broker action (e.g. a PUBLISH queued for three sessions), then hand it to
// Store::submit(). Operations apply in the order they were added.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "store/records.hpp"

namespace mqgate::store::op {

// Stores a message under `id` for later references; a no-op if `id` is stored already, so a caller
// unsure whether it still is may put it again. A message nothing refers to at the end of a commit
// is deleted.
struct PutMessage { MessageId id; StoredMessage message; bool operator==(const PutMessage&) const = default; };
// Sets the retained message of `topic`, replacing any earlier one.
struct PutRetained { std::string topic; MessageId message; bool operator==(const PutRetained&) const = default; };
struct EraseRetained { std::string topic; bool operator==(const EraseRetained&) const = default; };
// Creates an empty session, replacing any existing one with this id and everything it held.
struct PutSession { std::string client_id; bool operator==(const PutSession&) const = default; };
// Deletes a session with its subscriptions, queue, in-flight and inbound entries.
struct EraseSession { std::string client_id; bool operator==(const EraseSession&) const = default; };
// Adds or replaces (new QoS) a subscription.
struct Subscribe {
    std::string client_id;
    SubscriptionRecord subscription;
    bool operator==(const Subscribe&) const = default;
};
struct Unsubscribe { std::string client_id; std::string filter; bool operator==(const Unsubscribe&) const = default; };
// Adds (or replaces, same seq) an entry of a session's queue.
struct Enqueue { std::string client_id; QueuedRecord entry; bool operator==(const Enqueue&) const = default; };
struct Dequeue { std::string client_id; std::uint64_t seq; bool operator==(const Dequeue&) const = default; };
// Adds or replaces (same packet id) an outbound in-flight entry: also how its stage or DUP changes.
struct PutInflight {
    std::string client_id;
    InflightRecord entry;
    bool operator==(const PutInflight&) const = default;
};
struct EraseInflight {
    std::string client_id;
    std::uint16_t packet_id;
    bool operator==(const EraseInflight&) const = default;
};
struct PutInbound { std::string client_id; InboundRecord entry; bool operator==(const PutInbound&) const = default; };
struct EraseInbound {
    std::string client_id;
    std::uint16_t packet_id;
    bool operator==(const EraseInbound&) const = default;
};
// Appends (or replaces, same seq) an item of the named queue `queue`.
struct Append { std::string queue; QueueItem item; bool operator==(const Append&) const = default; };
struct Remove { std::string queue; std::uint64_t seq; bool operator==(const Remove&) const = default; };
// Deletes every session (with all it holds) and every retained message; named queues stay. The
// broker writes its whole state after it, in the same batch, to bring the file back in line with
// memory after a failed commit (disk full): a rewrite cannot go wrong the way replaying a guess of
// what the failed commit would have changed can.
struct ClearBrokerState { bool operator==(const ClearBrokerState&) const = default; };

}  // namespace mqgate::store::op

namespace mqgate::store {

using Operation = std::variant<op::PutMessage, op::PutRetained, op::EraseRetained, op::PutSession, op::EraseSession,
                               op::Subscribe, op::Unsubscribe, op::Enqueue, op::Dequeue, op::PutInflight,
                               op::EraseInflight, op::PutInbound, op::EraseInbound, op::Append, op::Remove,
                               op::ClearBrokerState>;

// Adding to a session that does not exist, referring to a message that is not stored, a QoS above 2,
// packet id 0 or an unknown stage makes the whole batch fail with errc::invalid_batch (it is a bug in
// the caller); the other batches of the same commit are not affected. Erasing what is not there is
// not an error.
class Batch {
public:
    template <typename Op>
    Batch& add(Op&& o) {
        ops_.emplace_back(std::forward<Op>(o));
        return *this;
    }
    const std::vector<Operation>& operations() const noexcept { return ops_; }
    // Removes the operations whose entry in `dropped` (one per operation) is true; returns how many.
    std::size_t drop(const std::vector<bool>& dropped) {
        std::size_t kept = 0;
        for (std::size_t i = 0; i < ops_.size(); ++i)
            if (!dropped[i]) {
                if (kept != i) ops_[kept] = std::move(ops_[i]);
                ++kept;
            }
        const std::size_t removed = ops_.size() - kept;
        ops_.resize(kept);
        return removed;
    }
    std::size_t size() const noexcept { return ops_.size(); }
    bool empty() const noexcept { return ops_.empty(); }

private:
    std::vector<Operation> ops_;
};

}  // namespace mqgate::store
