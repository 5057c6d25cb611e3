#include "config/authorizer.hpp"
#include "config/auth_file.hpp"


#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace mqgate::config {
namespace {

constexpr std::size_t cache_limit = 10'000;

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

std::optional<Sha256> parse_hex_digest(std::string_view hex) {
    if (hex.size() != 64) return std::nullopt;
    Sha256 out{};
    for (std::size_t i = 0; i < 32; ++i) {
        unsigned value = 0;
        for (const char c : hex.substr(2 * i, 2)) {
            value <<= 4;
            if (c >= '0' && c <= '9') value |= static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f') value |= static_cast<unsigned>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') value |= static_cast<unsigned>(c - 'A' + 10);
            else return std::nullopt;
        }
        out[i] = static_cast<unsigned char>(value);
    }
    return out;
}

}  // namespace

std::optional<Role> parse_role(std::string_view text) {
    if (text == "read") return Role::read;
    if (text == "subscribe") return Role::subscribe;
    if (text == "publish") return Role::publish;
    if (text == "admin") return Role::admin;
    return std::nullopt;
}

const char* to_string(Role role) noexcept {
    switch (role) {
        case Role::read: return "read";
        case Role::subscribe: return "subscribe";
        case Role::publish: return "publish";
        case Role::admin: return "admin";
    }
    return "read";
}

Sha256 sha256(std::string_view data) {
    Sha256 out{};
    unsigned int size = 0;
    EVP_Digest(data.data(), data.size(), out.data(), &size, EVP_sha256(), nullptr);
    return out;
}

Role AuthState::role_of_user(std::string_view user) const {
    const auto it = user_roles.find(user);
    return it == user_roles.end() ? default_user_role : it->second;
}

std::vector<ApiToken> parse_token_file(std::string_view text, const std::string& source) {
    std::vector<ApiToken> tokens;
    std::size_t number = 0;
    while (!text.empty()) {
        ++number;
        const auto nl = text.find('\n');
        std::string_view line = trim(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        if (line.empty() || line.front() == '#') continue;
        std::vector<std::string_view> words;
        while (!line.empty()) {
            const auto end = line.find_first_of(" \t");
            words.push_back(line.substr(0, end));
            line = end == std::string_view::npos ? std::string_view() : trim(line.substr(end));
        }
        if (words.size() != 3) throw AuthFileError(source, number, "expected \"<name> <role> <sha256 hex>\"");
        const auto role = parse_role(words[1]);
        if (!role)
            throw AuthFileError(source, number,
                                "role must be admin, publish, subscribe or read, got '" + std::string(words[1]) + "'");
        const auto digest = parse_hex_digest(words[2]);
        if (!digest) throw AuthFileError(source, number, "the token hash must be 64 hex digits (sha256sum)");
        tokens.push_back(ApiToken{*digest, std::string(words[0]), *role});
    }
    return tokens;
}

std::shared_ptr<const AuthState> load_auth_state(const AuthOptions& options) {
    auto state = std::make_shared<AuthState>();
    state->allow_anonymous = options.allow_anonymous;
    state->use_identity_as_username = options.use_identity_as_username;
    state->metrics_public = options.metrics_public;
    if (!options.password_file.empty()) state->users = PasswordFile::load(options.password_file);
    if (!options.acl_file.empty()) state->acl = Acl::load(options.acl_file);
    for (const auto& t : options.tokens) {
        ApiToken token;
        token.digest = t.token.empty() ? *parse_hex_digest(t.token_sha256) : sha256(t.token);
        token.name = t.name;
        token.role = parse_role(t.role).value_or(Role::read);
        state->tokens.push_back(std::move(token));
    }
    if (!options.token_file.empty()) {
        auto from_file = parse_token_file(read_auth_file(options.token_file), options.token_file);
        state->tokens.insert(state->tokens.end(), from_file.begin(), from_file.end());
    }
    for (const auto& [user, role] : options.user_roles) state->user_roles.emplace(user, parse_role(role).value_or(Role::read));
    state->default_user_role = parse_role(options.default_user_role).value_or(Role::subscribe);
    return state;
}

LoginOptions login_options(const AuthOptions& options) {
    LoginOptions login;
    login.per_user.free_failures = options.login_failures_per_user ? options.login_failures_per_user : never_block;
    login.per_address.free_failures =
        options.login_failures_per_address ? options.login_failures_per_address : never_block;
    return login;
}

GatewayAuthorizer::GatewayAuthorizer(std::shared_ptr<const AuthState> state, PasswordVerifier verifier,
                                     LoginOptions options)
    : state_(std::move(state)),
      verifier_(std::move(verifier)),
      throttle_(options.per_address, options.per_user),
      pool_(options.threads, options.queue) {
    if (RAND_bytes(cache_key_.data(), static_cast<int>(cache_key_.size())) != 1)
        throw std::runtime_error("RAND_bytes failed");
}

void GatewayAuthorizer::replace(std::shared_ptr<const AuthState> state) {
    {
        std::lock_guard lock(state_mutex_);
        state_ = std::move(state);
    }
    // Entries are keyed by the stored hash, so they stay correct; dropping
    // them makes a removed user's cached proof go away with the user.
    std::lock_guard lock(cache_mutex_);
    cache_.clear();
}

Sha256 GatewayAuthorizer::cache_mac(std::string_view password) const {
    Sha256 out{};
    unsigned int size = 0;
    HMAC(EVP_sha256(), cache_key_.data(), static_cast<int>(cache_key_.size()),
         reinterpret_cast<const unsigned char*>(password.data()), password.size(), out.data(), &size);
    return out;
}

std::optional<LoginVerdict> GatewayAuthorizer::quick_verdict(const AuthState& state, const std::string& user,
                                                             const std::string& password, const std::string& address) {
    if (!state.users) return LoginVerdict::refused;  // no password file: no password is right
    if (throttle_.blocked_for(address, user, LoginThrottle::Clock::now()) > LoginThrottle::Clock::duration::zero()) {
        login_counters().throttled.fetch_add(1, std::memory_order_relaxed);
        return LoginVerdict::throttled;
    }
    const std::string* stored = state.users ? state.users->find(user) : nullptr;
    if (!stored) return std::nullopt;
    const Sha256 mac = cache_mac(password);
    {
        std::lock_guard lock(cache_mutex_);
        const auto it = cache_.find(user + '\0' + *stored);
        // Only a match answers: anything else gets the full check.
        if (it == cache_.end() || CRYPTO_memcmp(it->second.data(), mac.data(), mac.size()) != 0) return std::nullopt;
    }
    throttle_.succeeded(user);
    return LoginVerdict::accepted;
}

void GatewayAuthorizer::check_password(std::shared_ptr<const AuthState> state, std::string user,
                                       std::string password, std::string address,
                                       std::function<void(LoginVerdict)> done) {
    if (const auto quick = quick_verdict(*state, user, password, address)) return done(*quick);
    std::function<void()> job = [this, state = std::move(state), user = std::move(user),
                                 password = std::move(password), address = std::move(address), done]() {
        done(verify(*state, user, password, address));
    };
    if (!pool_.submit(job)) {
        login_counters().busy.fetch_add(1, std::memory_order_relaxed);
        done(LoginVerdict::busy);
    }
}

LoginVerdict GatewayAuthorizer::check_password_now(const AuthState& state, const std::string& user,
                                                   const std::string& password, const std::string& address) {
    if (const auto quick = quick_verdict(state, user, password, address)) return *quick;
    return verify(state, user, password, address);
}

LoginVerdict GatewayAuthorizer::verify(const AuthState& state, const std::string& user, const std::string& password,
                                       const std::string& address) {
    const std::string* stored = state.users ? state.users->find(user) : nullptr;
    bool ok = false;
    if (stored) {
        ok = verifier_(password, *stored);
    } else {
        // As slow as a real check, so a response time does not tell which
        // usernames exist.
        static const std::string decoy = hash_password("decoy");
        verifier_(password, decoy);
    }
    if (!ok) {
        login_counters().failed.fetch_add(1, std::memory_order_relaxed);
        throttle_.failed(address, user, LoginThrottle::Clock::now());
        return LoginVerdict::refused;
    }
    throttle_.succeeded(user);
    const std::string key = user + '\0' + *stored;
    const Sha256 mac = cache_mac(password);
    std::lock_guard lock(cache_mutex_);
    if (cache_.size() >= cache_limit) cache_.clear();
    cache_[key] = mac;
    return LoginVerdict::accepted;
}

const ApiToken* GatewayAuthorizer::find_token(const AuthState& state, std::string_view token) {
    const Sha256 digest = sha256(token);
    const ApiToken* found = nullptr;
    for (const auto& t : state.tokens) {
        if (CRYPTO_memcmp(t.digest.data(), digest.data(), digest.size()) == 0 && !found) found = &t;
    }
    return found;
}

void GatewayAuthorizer::authenticate(const mqtt::Connect& connect, const mqtt::PeerInfo& peer, mqtt::AuthDone done) {
    using mqtt::ConnectReturn;
    auto state = this->state();
    if (state->use_identity_as_username && !peer.tls_common_name.empty()) {
        // The TLS layer verified the certificate: it is the credential.
        return done(ConnectReturn::accepted, peer.tls_common_name);
    }
    if (!connect.username || connect.username->empty()) {
        if (!state->allow_anonymous) return done(ConnectReturn::not_authorized, {});
        return done(ConnectReturn::accepted, {});
    }
    if (!state->users) {
        if (!state->allow_anonymous) return done(ConnectReturn::not_authorized, {});
        return done(ConnectReturn::accepted, *connect.username);
    }
    if (!connect.password) return done(ConnectReturn::bad_username_or_password, {});
    check_password(std::move(state), *connect.username, *connect.password, peer.address,
                   [done = std::move(done), user = *connect.username](LoginVerdict verdict) {
                       switch (verdict) {
                           case LoginVerdict::accepted: return done(ConnectReturn::accepted, user);
                           case LoginVerdict::refused: return done(ConnectReturn::bad_username_or_password, {});
                           case LoginVerdict::throttled:
                           case LoginVerdict::busy: return done(ConnectReturn::server_unavailable, {});
                       }
                   });
}

bool GatewayAuthorizer::authorize(std::string_view username, std::string_view client_id,
                                  std::string_view topic_or_filter, mqtt::Access access) {
    const auto state = this->state();
    return !state->acl || state->acl->allows(username, client_id, topic_or_filter, access);
}

}  // namespace mqgate::config
