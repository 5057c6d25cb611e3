// What the store keeps and how it commits, the same for both backends. A
// "restart" closes and reopens the SQLite file; the memory store is read in
// place (it lives as long as the process).
#include <atomic>
#include <thread>
#include <vector>

#include "store_helpers.hpp"

namespace mqgate::store {
namespace {

using namespace testing;

struct MemoryBackendKind {
    static constexpr bool durable = false;
    static StoreOptions options(const TempDir&) {
        StoreOptions o;
        o.backend = BackendKind::memory;
        return o;
    }
};

struct SqliteBackendKind {
    static constexpr bool durable = true;
    static StoreOptions options(const TempDir& dir) { return sqlite_options(dir.file("mqgate.db")); }
};

template <typename Kind>
class StoreBehaviourTest : public ::testing::Test {
protected:
    StoreOptions options() const { return Kind::options(dir_); }
    LoadedState restart() {
        if constexpr (Kind::durable) {
            store.reset();
            store = Store::open(options());
        }
        return store->load();
    }
    std::error_code commit(Batch batch) { return testing::commit(*store, std::move(batch)); }

    TempDir dir_;
    std::unique_ptr<Store> store = Store::open(options());
};

using Backends = ::testing::Types<MemoryBackendKind, SqliteBackendKind>;
TYPED_TEST_SUITE(StoreBehaviourTest, Backends);

TYPED_TEST(StoreBehaviourTest, EveryRecordKindSurvivesARestart) {
    Store& s = *this->store;
    const MessageId m1 = s.next_id(), m2 = s.next_id();
    const std::uint64_t q1 = s.next_id(), q2 = s.next_id(), f1 = s.next_id(), f2 = s.next_id();
    const std::uint64_t w1 = s.next_id(), c1 = s.next_id();
    StoredMessage binary{"sensors/1/temp", std::string("\0\x01\xff", 3), 2, true, 1700000000123, "sensor-1"};
    StoredMessage empty{"cmd/x", "", 0, false, 5, ""};
    Batch batch;
    batch.add(op::PutMessage{m1, binary})
        .add(op::PutMessage{m2, empty})
        .add(op::PutRetained{"sensors/1/temp", m1})
        .add(op::PutSession{"dev-1"})
        .add(op::Subscribe{"dev-1", {"sensors/#", 1}})
        .add(op::Subscribe{"dev-1", {"$SYS/x", 0}})
        .add(op::Enqueue{"dev-1", {q1, m1, 1, false}})
        .add(op::Enqueue{"dev-1", {q2, m2, 0, true}})
        // Send order (seq), not packet id order, is the order a resend follows.
        .add(op::PutInflight{"dev-1", {9, f1, m2, 2, false, InflightStage::awaiting_pubcomp, true}})
        .add(op::PutInflight{"dev-1", {3, f2, m1, 1, true, InflightStage::awaiting_puback, false}})
        .add(op::PutInbound{"dev-1", {42, 1700000000999}})
        .add(op::PutSession{"dev-0"})
        .add(op::Append{"webhooks", {w1, R"({"event":"client.connected"})"}})
        .add(op::Append{"commands", {c1, std::string("\0\xff", 2)}});
    ASSERT_FALSE(this->commit(std::move(batch)));

    const LoadedState state = this->restart();
    EXPECT_EQ(state.messages, (std::map<MessageId, StoredMessage>{{m1, binary}, {m2, empty}}));
    EXPECT_EQ(state.retained, (std::vector<RetainedRecord>{{"sensors/1/temp", m1}}));
    ASSERT_EQ(state.sessions.size(), 2u);
    EXPECT_EQ(state.sessions[0].client_id, "dev-0");
    EXPECT_TRUE(state.sessions[0].subscriptions.empty() && state.sessions[0].queue.empty() &&
                state.sessions[0].inflight.empty() && state.sessions[0].inbound.empty());
    SessionRecord dev1;
    dev1.client_id = "dev-1";
    dev1.subscriptions = {{"$SYS/x", 0}, {"sensors/#", 1}};
    dev1.queue = {{q1, m1, 1, false}, {q2, m2, 0, true}};
    dev1.inflight = {{9, f1, m2, 2, false, InflightStage::awaiting_pubcomp, true},
                     {3, f2, m1, 1, true, InflightStage::awaiting_puback, false}};
    dev1.inbound = {{42, 1700000000999}};
    EXPECT_EQ(state.sessions[1], dev1);
    EXPECT_EQ(state.queues, (std::map<std::string, std::vector<QueueItem>>{
                                {"commands", {{c1, std::string("\0\xff", 2)}}},
                                {"webhooks", {{w1, R"({"event":"client.connected"})"}}}}));
    // Ids handed out before the restart are never handed out again.
    EXPECT_GT(state.next_id, c1);
    EXPECT_GT(this->store->next_id(), c1);
}

TYPED_TEST(StoreBehaviourTest, ChangesAndRemovalsSurviveARestart) {
    Store& s = *this->store;
    const MessageId m1 = s.next_id(), m2 = s.next_id();
    const std::uint64_t q1 = s.next_id(), q2 = s.next_id(), w1 = s.next_id(), w2 = s.next_id();
    Batch setup;
    setup.add(op::PutMessage{m1, message("a", "1")})
        .add(op::PutMessage{m2, message("b", "2")})
        .add(op::PutRetained{"a", m1})
        .add(op::PutRetained{"b", m2})
        .add(op::PutSession{"c"})
        .add(op::Subscribe{"c", {"a", 0}})
        .add(op::Subscribe{"c", {"b", 1}})
        .add(op::Enqueue{"c", {q1, m1, 1, false}})
        .add(op::Enqueue{"c", {q2, m2, 1, false}})
        .add(op::PutInflight{"c", {1, q1, m1, 2, false, InflightStage::awaiting_pubrec, false}})
        .add(op::PutInbound{"c", {7, 1}})
        .add(op::PutInbound{"c", {8, 2}})
        .add(op::Append{"q", {w1, "x"}})
        .add(op::Append{"q", {w2, "y"}});
    ASSERT_FALSE(this->commit(std::move(setup)));

    Batch change;
    change.add(op::PutRetained{"a", m2})  // replaced
        .add(op::EraseRetained{"b"})
        .add(op::EraseRetained{"never-set"})
        .add(op::Subscribe{"c", {"a", 2}})  // new QoS
        .add(op::Unsubscribe{"c", "b"})
        .add(op::Dequeue{"c", q1})
        .add(op::PutInflight{"c", {1, q1, m1, 2, false, InflightStage::awaiting_pubcomp, true}})  // PUBREC came
        .add(op::EraseInbound{"c", 7})
        .add(op::Remove{"q", w1});
    ASSERT_FALSE(this->commit(std::move(change)));

    const LoadedState state = this->restart();
    EXPECT_EQ(state.retained, (std::vector<RetainedRecord>{{"a", m2}}));
    ASSERT_EQ(state.sessions.size(), 1u);
    const SessionRecord& c = state.sessions[0];
    EXPECT_EQ(c.subscriptions, (std::vector<SubscriptionRecord>{{"a", 2}}));
    EXPECT_EQ(c.queue, (std::vector<QueuedRecord>{{q2, m2, 1, false}}));
    EXPECT_EQ(c.inflight,
              (std::vector<InflightRecord>{{1, q1, m1, 2, false, InflightStage::awaiting_pubcomp, true}}));
    EXPECT_EQ(c.inbound, (std::vector<InboundRecord>{{8, 2}}));
    EXPECT_EQ(state.queues.at("q"), (std::vector<QueueItem>{{w2, "y"}}));
}

TYPED_TEST(StoreBehaviourTest, ANamedQueueIsReadInOrderPageByPage) {
    Store& s = *this->store;
    std::vector<std::uint64_t> seqs;
    Batch batch;
    for (int i = 0; i < 5; ++i) {
        seqs.push_back(s.next_id());
        batch.add(op::Append{"outbox", {seqs.back(), "item " + std::to_string(i)}});
    }
    batch.add(op::Append{"other", {s.next_id(), "elsewhere"}}).add(op::Remove{"outbox", seqs[1]});
    ASSERT_FALSE(this->commit(std::move(batch)));
    this->restart();

    EXPECT_EQ(this->store->read_queue("outbox", 0, 2), (std::vector<QueueItem>{{seqs[0], "item 0"}, {seqs[2], "item 2"}}));
    EXPECT_EQ(this->store->read_queue("outbox", seqs[2], 10),
              (std::vector<QueueItem>{{seqs[3], "item 3"}, {seqs[4], "item 4"}}));
    EXPECT_TRUE(this->store->read_queue("outbox", seqs[4], 10).empty());
    EXPECT_TRUE(this->store->read_queue("nothing", 0, 10).empty());
}

TYPED_TEST(StoreBehaviourTest, AMessageIsStoredOnceAndDeletedWithItsLastReference) {
    Store& s = *this->store;
    const MessageId m = s.next_id();
    const std::uint64_t q1 = s.next_id(), q2 = s.next_id();
    Batch batch;
    batch.add(op::PutMessage{m, message("t", std::string(1000, 'p'))})
        .add(op::PutRetained{"t", m})
        .add(op::PutSession{"s1"})
        .add(op::PutSession{"s2"})
        .add(op::Enqueue{"s1", {q1, m, 1, false}})
        .add(op::Enqueue{"s2", {q2, m, 1, false}})
        .add(op::PutInflight{"s2", {5, q2, m, 1, false, InflightStage::awaiting_puback, false}});
    ASSERT_FALSE(this->commit(std::move(batch)));
    EXPECT_EQ(this->restart().messages.size(), 1u);  // four references, one stored payload

    // Each removal of a reference leaves the message while another remains.
    ASSERT_FALSE(this->commit(std::move(Batch{}.add(op::EraseRetained{"t"}))));
    EXPECT_EQ(this->restart().messages.size(), 1u);
    ASSERT_FALSE(this->commit(std::move(Batch{}.add(op::EraseSession{"s1"}))));
    EXPECT_EQ(this->restart().messages.size(), 1u);
    ASSERT_FALSE(this->commit(std::move(Batch{}.add(op::Dequeue{"s2", q2}))));
    EXPECT_EQ(this->restart().messages.size(), 1u);
    ASSERT_FALSE(this->commit(std::move(Batch{}.add(op::EraseInflight{"s2", 5}))));
    EXPECT_TRUE(this->restart().messages.empty());
}

TYPED_TEST(StoreBehaviourTest, UnreferencedAndReplacedMessagesAreNotKept) {
    Store& s = *this->store;
    const MessageId lone = s.next_id(), old_value = s.next_id(), new_value = s.next_id();
    Batch batch;
    batch.add(op::PutMessage{lone, message("x", "never referenced")})
        .add(op::PutMessage{old_value, message("r", "old")})
        .add(op::PutRetained{"r", old_value});
    ASSERT_FALSE(this->commit(std::move(batch)));
    Batch replace;
    replace.add(op::PutMessage{new_value, message("r", "new")}).add(op::PutRetained{"r", new_value});
    ASSERT_FALSE(this->commit(std::move(replace)));
    // A session being created again drops what the old one held.
    const MessageId queued = s.next_id();
    Batch session;
    session.add(op::PutMessage{queued, message("q", "queued")})
        .add(op::PutSession{"c"})
        .add(op::Enqueue{"c", {s.next_id(), queued, 1, false}})
        .add(op::PutSession{"c"});
    ASSERT_FALSE(this->commit(std::move(session)));

    const LoadedState state = this->restart();
    EXPECT_EQ(state.messages, (std::map<MessageId, StoredMessage>{{new_value, message("r", "new")}}));
    ASSERT_EQ(state.sessions.size(), 1u);
    EXPECT_TRUE(state.sessions[0].queue.empty());
}

TYPED_TEST(StoreBehaviourTest, AnInvalidBatchFailsAloneAndLeavesNoTrace) {
    Store& s = *this->store;
    std::vector<std::error_code> results(4);
    const MessageId m = s.next_id();
    {
        Hold hold(s);  // the four batches share one commit
        Batch good1;
        good1.add(op::PutMessage{m, message("a", "1")}).add(op::PutRetained{"a", m});
        Batch no_session;  // valid first operation, then a queue entry for a session that does not exist
        no_session.add(op::PutRetained{"b", m}).add(op::Enqueue{"nobody", {s.next_id(), m, 1, false}});
        Batch bad_qos;
        bad_qos.add(op::PutSession{"x"}).add(op::Subscribe{"x", {"f", 3}});
        Batch good2;
        good2.add(op::PutSession{"y"}).add(op::Subscribe{"y", {"f", 1}});
        std::vector<Batch> batches;
        batches.push_back(std::move(good1));
        batches.push_back(std::move(no_session));
        batches.push_back(std::move(bad_qos));
        batches.push_back(std::move(good2));
        for (std::size_t i = 0; i < batches.size(); ++i)
            ASSERT_FALSE(s.submit(std::move(batches[i]), [&results, i](std::error_code ec) { results[i] = ec; }));
        hold.release();
        s.flush();
    }
    EXPECT_EQ(results, (std::vector<std::error_code>{{}, errc::invalid_batch, errc::invalid_batch, {}}));
    const auto stats = s.stats();
    EXPECT_EQ(stats.commits, 2u);
    EXPECT_EQ(stats.invalid_batches, 2u);

    const LoadedState state = this->restart();
    EXPECT_EQ(state.retained, (std::vector<RetainedRecord>{{"a", m}}));
    ASSERT_EQ(state.sessions.size(), 1u);
    EXPECT_EQ(state.sessions[0].client_id, "y");
}

TYPED_TEST(StoreBehaviourTest, BatchesSubmittedDuringACommitShareTheNextOne) {
    Store& s = *this->store;
    constexpr int kThreads = 8, kPerThread = 125, kBatches = kThreads * kPerThread;
    std::vector<std::atomic<int>> calls(kBatches);
    std::atomic<int> failures{0};
    Hold hold(s);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                const int n = t * kPerThread + i;
                Batch batch;
                batch.add(op::Append{"numbers", {s.next_id(), std::to_string(n)}});
                const auto ec = s.submit(std::move(batch), [&, n](std::error_code result) {
                    if (result) ++failures;
                    ++calls[n];
                });
                if (ec) ++failures;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(s.stats().pending_batches, kBatches + 1u);
    hold.release();
    s.flush();

    EXPECT_EQ(failures.load(), 0);
    for (int n = 0; n < kBatches; ++n) EXPECT_EQ(calls[n].load(), 1) << "batch " << n;
    const auto stats = s.stats();
    EXPECT_EQ(stats.commits, 2u);  // the held one, then all 1000 together
    EXPECT_EQ(stats.batches, kBatches + 1u);
    EXPECT_EQ(stats.operations, static_cast<std::uint64_t>(kBatches));
    EXPECT_EQ(stats.pending_batches, 0u);
    EXPECT_EQ(this->restart().queues.at("numbers").size(), static_cast<std::size_t>(kBatches));
}

TYPED_TEST(StoreBehaviourTest, SubmitRefusesWhenThePendingQueueIsFullAndAfterClose) {
    StoreOptions options = this->options();
    options.max_pending_batches = 3;
    this->store.reset();
    this->store = Store::open(options);
    Store& s = *this->store;
    int called = 0;
    {
        Hold hold(s);  // pending: 1
        EXPECT_FALSE(s.submit(Batch{}, [&](std::error_code) { ++called; }));
        EXPECT_FALSE(s.submit(Batch{}, [&](std::error_code) { ++called; }));
        EXPECT_EQ(s.submit(Batch{}, [&](std::error_code) { ++called; }), errc::queue_full);
        hold.release();
        s.flush();
    }
    EXPECT_EQ(called, 2);  // never for the refused one
    EXPECT_FALSE(testing::commit(s, Batch{}));  // room again
    s.close();
    EXPECT_EQ(s.submit(Batch{}, [&](std::error_code) { ++called; }), errc::closed);
    EXPECT_EQ(called, 2);
}

TYPED_TEST(StoreBehaviourTest, CloseCommitsWhatIsPending) {
    Store& s = *this->store;
    std::atomic<int> committed{0};
    for (int i = 0; i < 100; ++i) {
        Batch batch;
        batch.add(op::Append{"q", {s.next_id(), "x"}});
        ASSERT_FALSE(s.submit(std::move(batch), [&](std::error_code ec) { committed += ec ? 0 : 1; }));
    }
    s.close();
    EXPECT_EQ(committed.load(), 100);
    if constexpr (TypeParam::durable) {
        EXPECT_EQ(this->restart().queues.at("q").size(), 100u);
    }
}

}  // namespace
}  // namespace mqgate::store
