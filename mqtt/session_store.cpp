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

struct ClientIdHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

class MemorySessionStore final : public SessionStore {
public:
    SessionState* find(std::string_view client_id) override {
        const auto it = sessions_.find(client_id);
        return it == sessions_.end() ? nullptr : it->second.get();
    }

    SessionState& create(std::string_view client_id) override {
        auto state = std::make_unique<SessionState>();
        state->client_id = std::string(client_id);
        auto it = sessions_.find(client_id);
        if (it == sessions_.end()) {
            it = sessions_.emplace(state->client_id, std::move(state)).first;
        } else {
            it->second = std::move(state);
        }
        return *it->second;
    }

    void erase(std::string_view client_id) override {
        // Heterogeneous erase is C++23: find first.
        if (const auto it = sessions_.find(client_id); it != sessions_.end()) sessions_.erase(it);
    }

    std::size_t size() const override { return sessions_.size(); }

    // `f` must not create or erase sessions: that would invalidate the iteration.
    void for_each(const std::function<void(SessionState&)>& f) override {
        for (auto& [id, state] : sessions_) f(*state);
    }

    // The broker mutates the state in place, so memory already holds the
    // latest version: nothing to write.
    void commit(const SessionState&) override {}

private:
    std::unordered_map<std::string, std::unique_ptr<SessionState>, ClientIdHash, std::equal_to<>> sessions_;
};

}  // namespace

std::shared_ptr<SessionStore> make_memory_session_store() { return std::make_shared<MemorySessionStore>(); }

}  // namespace mqgate::mqtt
