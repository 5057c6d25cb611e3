// Sessions held in memory, one heap object each so the broker can keep a
// SessionState* across calls until the session is erased or replaced.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>

#include "mqtt/storage.hpp"

namespace mqgate::mqtt {
namespace {

class MemorySessionStore final : public SessionStore {
public:
    SessionState* find(std::string_view client_id) override {
        const auto it = sessions_.find(client_id);
        return it == sessions_.end() ? nullptr : it->get();
    }

    SessionState& create(std::string_view client_id) override {
        auto state = std::make_unique<SessionState>();
        state->client_id = std::string(client_id);  // first: `client_id` may view the old state's id
        erase(state->client_id);
        return **sessions_.insert(std::move(state)).first;
    }

    void erase(std::string_view client_id) override {
        if (const auto it = sessions_.find(client_id); it != sessions_.end()) sessions_.erase(it);
    }

    std::size_t size() const override { return sessions_.size(); }

    // `f` must not create or erase sessions: that would invalidate the iteration.
    void for_each(const std::function<void(SessionState&)>& f) override {
        for (const auto& state : sessions_) f(*state);
    }

    // The broker mutates the state in place, so memory already holds the
    // latest version: nothing to write.
    void commit(const SessionState&) override {}

private:
    // A set of states found by their own client_id (the hash and equality
    // below take a state or a bare id): one copy of the id per session, and a
    // node of two words instead of a map node that also holds the key and its
    // hash (memory per idle connection).
    static std::string_view id_of(std::string_view id) noexcept { return id; }
    static std::string_view id_of(const std::unique_ptr<SessionState>& s) noexcept { return s->client_id; }
    struct IdHash {
        using is_transparent = void;
        std::size_t operator()(const auto& k) const noexcept { return std::hash<std::string_view>{}(id_of(k)); }
    };
    struct IdEqual {
        using is_transparent = void;
        bool operator()(const auto& a, const auto& b) const noexcept { return id_of(a) == id_of(b); }
    };
    std::unordered_set<std::unique_ptr<SessionState>, IdHash, IdEqual> sessions_;
};

}  // namespace

std::shared_ptr<SessionStore> make_memory_session_store() { return std::make_shared<MemorySessionStore>(); }

}  // namespace mqgate::mqtt
