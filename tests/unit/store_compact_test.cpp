// Writes a later batch of the same commit undoes are not made (compact.hpp),
// and what is stored after such a commit is what it would be without that.
#include <string>
#include <vector>

#include "store/compact.hpp"
#include "store_helpers.hpp"

namespace mqgate::store {
namespace {

using namespace testing;

template <typename... Batches>
std::vector<Pending> group_of(Batches&&... batches) {
    std::vector<Pending> group;
    (group.push_back(Pending{std::move(batches), {}, {}}), ...);
    return group;
}

// The kind of each operation left, per batch, as the op's index in Operation.
std::vector<std::vector<std::size_t>> kinds(const std::vector<Pending>& group) {
    std::vector<std::vector<std::size_t>> out;
    for (const auto& p : group) {
        out.emplace_back();
        for (const auto& o : p.batch.operations()) out.back().push_back(o.index());
    }
    return out;
}

template <typename Op>
constexpr std::size_t kind = [] {
    Operation o = Op{};
    return o.index();
}();

InflightRecord inflight(std::uint16_t packet_id, MessageId m, std::uint64_t seq) {
    return {packet_id, seq, m, 1, false, InflightStage::awaiting_puback, false};
}

TEST(StoreCompactTest, ADeliveryAcknowledgedWithinTheCommitLeavesOnlyTheErase) {
    Batch publish, ack;
    publish.add(op::PutMessage{5, message("t", "x")}).add(op::PutInflight{"sub", inflight(1, 5, 6)});
    ack.add(op::EraseInflight{"sub", 1});
    auto group = group_of(std::move(publish), std::move(ack));

    EXPECT_EQ(compact(group), 2u);
    EXPECT_EQ(kinds(group), (std::vector<std::vector<std::size_t>>{{}, {kind<op::EraseInflight>}}));
}

TEST(StoreCompactTest, AMessageMovedFromTheQueueIntoFlightKeepsItsBytesAndTheInflightEntry) {
    Batch queued, sent;
    queued.add(op::PutMessage{5, message("t", "x")}).add(op::Enqueue{"sub", {6, 5, 1, false}});
    sent.add(op::Dequeue{"sub", 6}).add(op::PutInflight{"sub", inflight(1, 5, 7)});
    auto group = group_of(std::move(queued), std::move(sent));

    EXPECT_EQ(compact(group), 1u);  // the queue entry only
    EXPECT_EQ(kinds(group), (std::vector<std::vector<std::size_t>>{
                                {kind<op::PutMessage>}, {kind<op::Dequeue>, kind<op::PutInflight>}}));
}

TEST(StoreCompactTest, ALaterRetainedMessageReplacesTheEarlierOneAndItsBytes) {
    Batch first, second;
    first.add(op::PutMessage{1, message("r", "old")}).add(op::PutRetained{"r", 1});
    second.add(op::PutMessage{2, message("r", "new")}).add(op::PutRetained{"r", 2});
    auto group = group_of(std::move(first), std::move(second));

    EXPECT_EQ(compact(group), 2u);
    EXPECT_EQ(kinds(group), (std::vector<std::vector<std::size_t>>{
                                {}, {kind<op::PutMessage>, kind<op::PutRetained>}}));
}

TEST(StoreCompactTest, WritesIntoASessionErasedLaterAreDroppedThoseAfterItStay) {
    Batch before, erase, after;
    before.add(op::PutMessage{1, message("t", "x")})
        .add(op::Enqueue{"dev", {2, 1, 1, false}})
        .add(op::PutInbound{"dev", {9, 0}});
    erase.add(op::PutSession{"dev"});
    after.add(op::Enqueue{"dev", {3, 1, 1, false}});
    auto group = group_of(std::move(before), std::move(erase), std::move(after));

    EXPECT_EQ(compact(group), 2u);  // the first queue entry and the inbound id; the message is still referenced
    EXPECT_EQ(kinds(group), (std::vector<std::vector<std::size_t>>{
                                {kind<op::PutMessage>}, {kind<op::PutSession>}, {kind<op::Enqueue>}}));
}

TEST(StoreCompactTest, AnInvalidBatchCancelsNothing) {
    Batch put, invalid;
    put.add(op::PutMessage{5, message("t", "x")}).add(op::PutInflight{"sub", inflight(1, 5, 6)});
    invalid.add(op::EraseInflight{"sub", 1}).add(op::Subscribe{"sub", {"f", 3}});  // QoS 3: refused whole
    auto group = group_of(std::move(put), std::move(invalid));

    EXPECT_EQ(compact(group), 0u);
}

TEST(StoreCompactTest, ANamedQueueItemRemovedInTheSameCommitIsNeverWritten) {
    Batch append, remove;
    append.add(op::Append{"webhook:a", {4, "event"}}).add(op::Append{"webhook:a", {5, "other"}});
    remove.add(op::Remove{"webhook:a", 4});
    auto group = group_of(std::move(append), std::move(remove));

    EXPECT_EQ(compact(group), 1u);
    EXPECT_EQ(kinds(group), (std::vector<std::vector<std::size_t>>{{kind<op::Append>}, {kind<op::Remove>}}));
}

// Through the store: batches held back so that they share one commit.
class StoreCompactCommitTest : public ::testing::TestWithParam<BackendKind> {
protected:
    StoreOptions options() const {
        StoreOptions o = sqlite_options(dir_.file("mqgate.db"));
        o.backend = GetParam();
        return o;
    }
    TempDir dir_;
};

TEST_P(StoreCompactCommitTest, ACommitWhoseWritesCancelOutStoresWhatTheWritesLeave) {
    auto store = Store::open(options());
    Batch session;
    session.add(op::PutSession{"sub"});
    ASSERT_FALSE(commit(*store, std::move(session)));
    const MessageId gone = store->next_id(), kept = store->next_id();
    std::vector<std::error_code> results(3, errc::closed);
    {
        Hold hold(*store);
        Batch delivered, acked, queued;
        delivered.add(op::PutMessage{gone, message("t", "acked")})
            .add(op::PutInflight{"sub", inflight(1, gone, store->next_id())});
        acked.add(op::EraseInflight{"sub", 1});
        queued.add(op::PutMessage{kept, message("t", "waits")}).add(op::Enqueue{"sub", {store->next_id(), kept, 1, false}});
        std::vector<Batch> batches;
        batches.push_back(std::move(delivered));
        batches.push_back(std::move(acked));
        batches.push_back(std::move(queued));
        for (std::size_t i = 0; i < batches.size(); ++i)
            ASSERT_FALSE(store->submit(std::move(batches[i]), [&results, i](std::error_code ec) { results[i] = ec; }));
        hold.release();
        store->flush();
    }
    EXPECT_EQ(results, (std::vector<std::error_code>{{}, {}, {}}));
    EXPECT_EQ(store->stats().cancelled_operations, 2u);

    if (GetParam() == BackendKind::sqlite) {  // read back from the file (the memory store lives in the object)
        store.reset();
        store = Store::open(options());
    }
    const LoadedState state = store->load();
    EXPECT_EQ(state.messages, (std::map<MessageId, StoredMessage>{{kept, message("t", "waits")}}));
    ASSERT_EQ(state.sessions.size(), 1u);
    EXPECT_TRUE(state.sessions[0].inflight.empty());
    ASSERT_EQ(state.sessions[0].queue.size(), 1u);
    EXPECT_EQ(state.sessions[0].queue[0].message, kept);
}

TEST_P(StoreCompactCommitTest, ACommitLeftWithNothingToWriteSucceedsWithoutATransaction) {
    auto store = Store::open(options());
    Batch session;
    session.add(op::PutSession{"sub"});
    ASSERT_FALSE(commit(*store, std::move(session)));
    const auto before = store->stats();
    const MessageId m = store->next_id();
    bool delivered_ok = false, acked_ok = false;
    {
        Hold hold(*store);
        Batch delivered, acked;
        delivered.add(op::PutMessage{m, message("t", "x")}).add(op::PutInflight{"sub", inflight(1, m, store->next_id())});
        acked.add(op::EraseInflight{"sub", 1});
        ASSERT_FALSE(store->submit(std::move(delivered), [&](std::error_code ec) { delivered_ok = !ec; }));
        ASSERT_FALSE(store->submit(std::move(acked), [&](std::error_code ec) { acked_ok = !ec; }));
        hold.release();
        store->flush();
    }
    EXPECT_TRUE(delivered_ok && acked_ok);
    const auto after = store->stats();
    // The erase stays (its row could predate the commit), so this group still writes one operation.
    EXPECT_EQ(after.cancelled_operations - before.cancelled_operations, 2u);
    EXPECT_EQ(after.operations - before.operations, 1u);

    {
        Hold hold(*store);
        ASSERT_FALSE(store->submit(Batch{}, [](std::error_code) {}));
        hold.release();
        store->flush();
    }
    EXPECT_GE(store->stats().empty_commits, 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreCompactCommitTest, ::testing::Values(BackendKind::sqlite, BackendKind::memory),
                         [](const auto& info) { return info.param == BackendKind::sqlite ? "sqlite" : "memory"; });

}  // namespace
}  // namespace mqgate::store
