// Sessions held in memory, one heap object each so the broker can keep a
// SessionState* across calls until the session is erased or replaced.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "mqtt/storage.hpp"

namespace mqgate::mqtt {
namespace {

class MemorySessionStore final : public SessionStore {
public:
    SessionState* find(std::string_view client_id) override {
        const auto it = sessions_.find(client_id);
        return it == sessions_.end() ? nullptr : it->second.get();
    }

    SessionState& create(std::string_view client_id) override {
        auto state = std::make_unique<SessionState>();
        state->client_id = std::string(client_id);  // first: `client_id` may view the old state's id
        const std::string_view key = state->client_id;
        erase(key);  // the old entry's key views the old state's id: they go together
        return *sessions_.emplace(key, std::move(state)).first->second;
    }

    void erase(std::string_view client_id) override { sessions_.erase(client_id); }

    std::size_t size() const override { return sessions_.size(); }

    // `f` must not create or erase sessions: that would invalidate the iteration.
    void for_each(const std::function<void(SessionState&)>& f) override {
        for (auto& [id, state] : sessions_) f(*state);
    }

    // The broker mutates the state in place, so memory already holds the
    // latest version: nothing to write.
    void commit(const SessionState&) override {}

private:
    // Keyed by a view of the state's own client_id: one copy of the id per
    // session (memory per idle connection).
    std::unordered_map<std::string_view, std::unique_ptr<SessionState>> sessions_;
};

}  // namespace

std::shared_ptr<SessionStore> make_memory_session_store() { return std::make_shared<MemorySessionStore>(); }

}  // namespace mqgate::mqtt
