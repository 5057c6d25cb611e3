// Sessions held in memory, one heap block each so the broker can keep a
// SessionState* across calls until the session is erased or replaced.
//
// Memory per idle connection: each session is ONE allocation holding the
// state, the hash-set link and the client id's bytes. A std::unordered_set
// of unique_ptr costs two more per session (the set's node, and the id's own
// heap buffer whenever it is longer than the 15-character small-string
// buffer, which typical device ids are).
#include <cstddef>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <string_view>
#include <type_traits>

#include <boost/intrusive/unordered_set.hpp>

#include "mqtt/storage.hpp"

namespace mqgate::mqtt {
namespace {

namespace bi = boost::intrusive;

// A session as this store holds it: the state, its link in the store's hash
// set, and then (in the same block, past the end of the object) the bytes
// of its client id, which SessionState::client_id views.
struct StoredSession : SessionState {
    bi::unordered_set_member_hook<bi::link_mode<bi::normal_link>> hook;

    // The block for a session with id `id`; the state is value-initialized.
    static StoredSession* make(std::string_view id) {
        void* block = ::operator new(block_size(id.size()));
        auto* s = ::new (block) StoredSession();  // cannot throw (asserted below): `block` cannot leak
        char* chars = reinterpret_cast<char*>(s + 1);
        if (!id.empty()) std::memcpy(chars, id.data(), id.size());
        s->client_id = std::string_view(chars, id.size());
        return s;
    }

    // Frees a block made by make(): the disposer of the set's erase and clear.
    struct Destroy {
        void operator()(StoredSession* s) const noexcept {
            const std::size_t size = block_size(s->client_id.size());
            s->~StoredSession();
            ::operator delete(s, size);
        }
    };

    static std::size_t block_size(std::size_t id_size) noexcept { return sizeof(StoredSession) + id_size; }
};

static_assert(std::is_nothrow_default_constructible_v<StoredSession>);

struct IdOf {
    using type = std::string_view;
    std::string_view operator()(const StoredSession& s) const noexcept { return s.client_id; }
};

using SessionSet = bi::unordered_set<StoredSession,
                                     bi::member_hook<StoredSession, decltype(StoredSession::hook), &StoredSession::hook>,
                                     bi::key_of_value<IdOf>, bi::hash<std::hash<std::string_view>>,
                                     bi::power_2_buckets<true>, bi::constant_time_size<true>>;

class MemorySessionStore final : public SessionStore {
public:
    MemorySessionStore() : buckets_(std::make_unique<Bucket[]>(initial_buckets)), sessions_({buckets_.get(), initial_buckets}) {}

    ~MemorySessionStore() override { sessions_.clear_and_dispose(StoredSession::Destroy{}); }

    MemorySessionStore(const MemorySessionStore&) = delete;
    MemorySessionStore& operator=(const MemorySessionStore&) = delete;

    SessionState* find(std::string_view client_id) override {
        const auto it = sessions_.find(client_id);
        return it == sessions_.end() ? nullptr : &*it;
    }

    SessionState& create(std::string_view client_id) override {
        StoredSession* s = StoredSession::make(client_id);  // first: `client_id` may view the old state's id
        erase(s->client_id);
        if (sessions_.size() >= sessions_.bucket_count()) grow();
        sessions_.insert(*s);
        return *s;
    }

    void erase(std::string_view client_id) override {
        if (const auto it = sessions_.find(client_id); it != sessions_.end()) {
            sessions_.erase_and_dispose(it, StoredSession::Destroy{});
        }
    }

    std::size_t size() const override { return sessions_.size(); }

    // `f` must not create or erase sessions: that would invalidate the iteration.
    void for_each(const std::function<void(SessionState&)>& f) override {
        for (StoredSession& s : sessions_) f(s);
    }

private:
    using Bucket = SessionSet::bucket_type;
    static constexpr std::size_t initial_buckets = 16;  // a power of two, as every later size

    // Doubles the bucket array: at most one session per bucket on average,
    // as std::unordered_set keeps it. Like it, the array never shrinks.
    void grow() {
        const std::size_t count = sessions_.bucket_count() * 2;
        auto buckets = std::make_unique<Bucket[]>(count);
        sessions_.rehash(SessionSet::bucket_traits(buckets.get(), count));
        buckets_ = std::move(buckets);
    }

    std::unique_ptr<Bucket[]> buckets_;  // before sessions_, which refers to it
    SessionSet sessions_;
};

}  // namespace

std::shared_ptr<SessionStore> make_memory_session_store() { return std::make_shared<MemorySessionStore>(); }

}  // namespace mqgate::mqtt
