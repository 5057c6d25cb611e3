// The one identity model behind MQTT, REST and the streams: users from the
// password file, API tokens, HTTP roles and the ACL, held as one immutable
// AuthState that SIGHUP replaces whole (connections keep running; the next
// CONNECT, SUBSCRIBE, PUBLISH or HTTP request sees the new state).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/acl.hpp"
#include "config/config.hpp"
#include "config/password_file.hpp"
#include "mqtt/auth.hpp"

namespace mqgate::config {

// HTTP roles, each including the ones before it.
enum class Role { read, subscribe, publish, admin };
std::optional<Role> parse_role(std::string_view text);
const char* to_string(Role role) noexcept;

using Sha256 = std::array<unsigned char, 32>;
Sha256 sha256(std::string_view data);

struct ApiToken {
    Sha256 digest{};  // only the hash is kept in memory
    std::string name;
    Role role = Role::read;
};

struct AuthState {
    bool allow_anonymous = true;
    bool use_identity_as_username = false;
    bool metrics_public = false;
    std::optional<PasswordFile> users;  // nullopt: no password file
    std::optional<Acl> acl;             // nullopt: everything allowed
    std::vector<ApiToken> tokens;
    std::map<std::string, Role, std::less<>> user_roles;
    Role default_user_role = Role::subscribe;

    // Nothing could identify an HTTP caller: the API stays open, as before
    // authentication existed.
    bool http_open() const noexcept { return allow_anonymous && (!users || users->empty()) && tokens.empty(); }
    Role role_of_user(std::string_view user) const;
};

// Reads the files `options` names. Throws AuthFileError (file, line, reason).
std::shared_ptr<const AuthState> load_auth_state(const AuthOptions& options);

// Token file lines: "<name> <role> <sha256 hex of the token>"; '#' comments.
std::vector<ApiToken> parse_token_file(std::string_view text, const std::string& source);

class GatewayAuthorizer final : public mqtt::Authorizer {
public:
    explicit GatewayAuthorizer(std::shared_ptr<const AuthState> state);

    // Username/password against the password file (0x04 when wrong); no
    // username with anonymous access off -> 0x05. Without a password file a
    // username is taken as given (Mosquitto does the same).
    mqtt::ConnectReturn authenticate(const mqtt::Connect& connect, const mqtt::PeerInfo& peer,
                                     std::string& identity) override;
    bool authorize(std::string_view username, std::string_view client_id, std::string_view topic_or_filter,
                   mqtt::Access access) override;

    std::shared_ptr<const AuthState> state() const { return state_.load(); }
    void replace(std::shared_ptr<const AuthState> state);

    // Verified PBKDF2 results are cached per (user, stored hash) as an HMAC of
    // the password under a per-process random key, so a CONNECT storm or a
    // browser's Basic header on every request costs one hash each, not
    // 100 000 iterations; a changed password changes the stored hash and so
    // misses. Failures are never cached.
    bool check_password(const AuthState& state, std::string_view user, std::string_view password);
    // Compares against every token in constant time per token.
    static const ApiToken* find_token(const AuthState& state, std::string_view token);

private:
    Sha256 cache_mac(std::string_view password) const;

    std::atomic<std::shared_ptr<const AuthState>> state_;
    std::array<unsigned char, 32> cache_key_{};
    std::mutex cache_mutex_;
    std::unordered_map<std::string, Sha256> cache_;
};

}  // namespace mqgate::config
