// The one identity model behind MQTT, REST and the streams: users from the
// password file, API tokens, HTTP roles and the ACL, held as one immutable
// AuthState that SIGHUP replaces whole (connections keep running; the next
// CONNECT, SUBSCRIBE, PUBLISH or HTTP request sees the new state).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
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
#include "config/login_throttle.hpp"
#include "config/password_file.hpp"
#include "config/verify_pool.hpp"
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

// What a password login came to.
enum class LoginVerdict {
    accepted,
    refused,    // wrong password or unknown user, after the full check
    throttled,  // the address or username is backing off: refused unchecked
    busy,       // the verifier queue is full: refused unchecked
};

// The full check of a password against its stored hash (verify_password;
// tests inject their own to count calls or to hold one).
using PasswordVerifier = std::function<bool(std::string_view password, std::string_view encoded)>;

struct LoginOptions {
    std::size_t threads = 2;  // two logins hash at once; the I/O threads keep the other cores
    std::size_t queue = 64;   // at ~50 ms a hash, a full queue is ~1.6 s of work
    ThrottlePolicy per_address = address_policy;
    ThrottlePolicy per_user = user_policy;
};

// auth.login_failures_per_user / _per_address applied to the default policies.
LoginOptions login_options(const AuthOptions& options);

class GatewayAuthorizer final : public mqtt::Authorizer {
public:
    explicit GatewayAuthorizer(std::shared_ptr<const AuthState> state, PasswordVerifier verifier = verify_password,
                               LoginOptions options = {});

    // Username/password against the password file (0x04 when wrong, 0x03
    // while backing off or when the verifier is busy); no username with
    // anonymous access off -> 0x05. Without a password file a username is
    // taken as given (Mosquitto does the same).
    void authenticate(const mqtt::Connect& connect, const mqtt::PeerInfo& peer, mqtt::AuthDone done) override;
    bool authorize(std::string_view username, std::string_view client_id, std::string_view topic_or_filter,
                   mqtt::Access access) override;

    std::shared_ptr<const AuthState> state() const {
        std::lock_guard lock(state_mutex_);
        return state_;
    }
    void replace(std::shared_ptr<const AuthState> state);
    // Stops the verifier threads (VerifyPool::stop): logins still waiting
    // are never answered.
    void stop_verifying() { pool_.stop(); }

    // Checks `password` for `user` and calls `done` exactly once: before
    // returning for a back-off, a full queue or a cached proof, otherwise
    // from a verifier thread after the full check. `address` is the peer's,
    // for the back-off ("" when unknown).
    //
    // Verified PBKDF2 results are cached per (user, stored hash) as an HMAC
    // of the password under a per-process random key, so a reconnect storm
    // or a browser's Basic header on every request costs one HMAC each, not
    // 100 000 iterations; a changed password changes the stored hash and so
    // misses. The cache only ever says "right": any other password, for a
    // cached user or not, and an unknown user (against a decoy hash) get the
    // full check, so a failure costs the same for everyone and reveals
    // neither who logged in lately nor who exists.
    void check_password(std::shared_ptr<const AuthState> state, std::string user, std::string password,
                        std::string address, std::function<void(LoginVerdict)> done);
    // The same on the calling thread. For a request whose credentials
    // check_password() already accepted (the cache answers) and for tests.
    LoginVerdict check_password_now(const AuthState& state, const std::string& user, const std::string& password,
                                    const std::string& address);
    // Compares against every token in constant time per token.
    static const ApiToken* find_token(const AuthState& state, std::string_view token);

private:
    Sha256 cache_mac(std::string_view password) const;
    // The answer that needs no hash, if any: a back-off, or a cached proof.
    std::optional<LoginVerdict> quick_verdict(const AuthState& state, const std::string& user,
                                              const std::string& password, const std::string& address);
    // On a verifier thread: the full check, then the cache and the back-off.
    LoginVerdict verify(const AuthState& state, const std::string& user, const std::string& password,
                        const std::string& address);

    // A mutex, not std::atomic<std::shared_ptr>: GCC 12's lock-bit implementation of the latter is
    // invisible to ThreadSanitizer, which reported a SIGHUP's replace() racing with readers.
    mutable std::mutex state_mutex_;
    std::shared_ptr<const AuthState> state_;
    PasswordVerifier verifier_;
    std::array<unsigned char, 32> cache_key_{};
    std::mutex cache_mutex_;
    std::unordered_map<std::string, Sha256> cache_;
    LoginThrottle throttle_;
    // Last: destroyed first, so no job runs against the members above once
    // they are gone.
    VerifyPool pool_;
};

}  // namespace mqgate::config
