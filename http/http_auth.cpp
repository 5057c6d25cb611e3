#include "http/http_auth.hpp"

#include "events/event_payload.hpp"

namespace mqgate::http {
namespace {

using config::Role;

bool iequals_prefix(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        const char a = text[i] >= 'A' && text[i] <= 'Z' ? static_cast<char>(text[i] - 'A' + 'a') : text[i];
        if (a != prefix[i]) return false;
    }
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::optional<Credentials> basic_from_base64(std::string_view encoded) {
    const auto decoded = payload::base64_decode(encoded);
    if (!decoded) return std::nullopt;
    const auto colon = decoded->find(':');
    if (colon == std::string::npos) return std::nullopt;
    return Credentials{Credentials::Kind::basic, decoded->substr(0, colon), decoded->substr(colon + 1)};
}

bool is_script(const Request& request) {
    return request.sec_fetch_mode == "cors" || request.sec_fetch_mode == "same-origin";
}

std::string access_token_of(const Request& request) {
    const auto q = request.target.find('?');
    if (q == std::string::npos) return {};
    const auto query = parse_query(std::string_view(request.target).substr(q + 1));
    if (!query) return {};
    const auto it = query->find("access_token");
    return it == query->end() ? std::string() : it->second;
}

}  // namespace

Credentials parse_authorization(std::string_view header) {
    header = trim(header);
    if (header.empty()) return {};
    if (iequals_prefix(header, "basic ")) {
        auto c = basic_from_base64(trim(header.substr(6)));
        return c ? std::move(*c) : Credentials{Credentials::Kind::malformed, {}, {}};
    }
    if (iequals_prefix(header, "bearer ")) {
        const auto token = trim(header.substr(7));
        if (token.empty()) return {Credentials::Kind::malformed, {}, {}};
        return {Credentials::Kind::bearer, {}, std::string(token)};
    }
    return {Credentials::Kind::malformed, {}, {}};
}

std::vector<Credentials> parse_access_token(std::string_view value) {
    std::vector<Credentials> out;
    if (value.empty()) return out;
    out.push_back({Credentials::Kind::bearer, {}, std::string(value)});
    if (auto basic = basic_from_base64(value)) out.push_back(std::move(*basic));
    return out;
}

std::optional<Role> required_role(std::string_view method, std::string_view route, bool metrics_public) {
    if (route == "/healthz" || route == "/readyz") return std::nullopt;
    if (route == "/metrics") return metrics_public ? std::nullopt : std::optional(Role::read);
    if (method == "GET" || method == "HEAD") {
        if (route == "/api/v1/stats" || route == "/api/v1/openapi.json") return Role::read;
        return Role::subscribe;
    }
    if (method == "POST" && (route.starts_with("/api/v1/publish") || route == "/api/v1/requests")) return Role::publish;
    // Who may send a command may take it back before it is sent.
    if ((method == "POST" && route == "/api/v1/commands") || (method == "DELETE" && route == "/api/v1/commands/{id}"))
        return Role::publish;
    // DELETE (kick, retained) and whatever is added later: admin only.
    return Role::admin;
}

Response unauthorized(std::string_view message, bool script_request) {
    auto r = error_response(401, "unauthorized", message);
    if (!script_request) r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"mqgate\", charset=\"UTF-8\"");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"mqgate\"");
    return r;
}

Response forbidden(std::string_view message) { return error_response(403, "forbidden", message); }

Response too_many_failures() {
    return error_response(429, "too_many_failures",
                          "too many failed logins from this address or for this user: try again later");
}

Response verifier_busy() {
    auto r = error_response(503, "busy", "too many logins being checked: try again shortly");
    r.headers.emplace_back("Retry-After", "1");
    return r;
}

std::variant<std::vector<Credentials>, Response> HttpAuth::candidates(std::string_view authorization,
                                                                      std::string_view access_token,
                                                                      bool script_request) {
    const auto header = parse_authorization(authorization);
    if (header.kind == Credentials::Kind::malformed)
        return unauthorized("the Authorization header must be Basic or Bearer", script_request);
    if (header.kind != Credentials::Kind::none) return std::vector<Credentials>{header};
    return parse_access_token(access_token);
}

std::variant<HttpIdentity, Response> HttpAuth::answer(const config::AuthState& state, const std::string& user,
                                                      config::LoginVerdict verdict, bool script_request) {
    switch (verdict) {
        case config::LoginVerdict::accepted: return HttpIdentity{user, state.role_of_user(user)};
        case config::LoginVerdict::throttled: return too_many_failures();
        case config::LoginVerdict::busy: return verifier_busy();
        case config::LoginVerdict::refused: break;
    }
    return unauthorized("the credentials were refused", script_request);
}

std::variant<HttpIdentity, Response> HttpAuth::identify(std::string_view authorization, std::string_view access_token,
                                                        bool script_request, const std::string& address) const {
    const auto state = authorizer_->state();
    auto found = candidates(authorization, access_token, script_request);
    if (auto* refusal = std::get_if<Response>(&found)) return std::move(*refusal);
    const auto& list = std::get<std::vector<Credentials>>(found);
    if (list.empty()) {
        if (state->http_open()) return HttpIdentity{"", Role::admin};
        return unauthorized("credentials required: HTTP Basic, a Bearer token or access_token", script_request);
    }
    // A password comes last (parse_access_token tries the value as a token first).
    for (const auto& c : list) {
        if (c.kind == Credentials::Kind::bearer) {
            if (const auto* token = config::GatewayAuthorizer::find_token(*state, c.secret))
                return HttpIdentity{token->name, token->role};
        } else if (c.kind == Credentials::Kind::basic) {
            return answer(*state, c.user, authorizer_->check_password_now(*state, c.user, c.secret, address),
                          script_request);
        }
    }
    return unauthorized("the credentials were refused", script_request);
}

bool HttpAuth::verify(const Request& request, std::function<void(CheckResult)> done) const {
    auto state = authorizer_->state();
    // MQTT over WebSocket authenticates with CONNECT; public routes need nothing.
    const std::string_view path = std::string_view(request.target).substr(0, request.target.find('?'));
    if (path == "/mqtt" || !required_role(request.method, path, state->metrics_public)) return false;
    const bool script = is_script(request);
    auto found = candidates(request.authorization, access_token_of(request), script);
    const auto* list = std::get_if<std::vector<Credentials>>(&found);
    if (!list) return false;  // a malformed header: identify() refuses it at once
    for (const auto& c : *list) {
        if (c.kind == Credentials::Kind::bearer && config::GatewayAuthorizer::find_token(*state, c.secret)) return false;
        if (c.kind != Credentials::Kind::basic) continue;
        authorizer_->check_password(
            state, c.user, c.secret, request.peer_address,
            [state, user = c.user, script, done = std::move(done)](config::LoginVerdict verdict) {
                auto check = std::make_shared<CredentialCheck>(CredentialCheck{answer(*state, user, verdict, script)});
                CheckResult result;
                if (const auto* refusal = std::get_if<Response>(&check->result)) result.refusal = *refusal;
                result.check = std::move(check);
                done(std::move(result));
            });
        return true;
    }
    return false;
}

std::variant<Caller, Response> HttpAuth::admit_stream(std::string_view authorization, std::string_view access_token,
                                                      bool script_request) const {
    auto result = identify(authorization, access_token, script_request);
    if (auto* refusal = std::get_if<Response>(&result)) return std::move(*refusal);
    const auto& identity = std::get<HttpIdentity>(result);
    if (identity.role < Role::subscribe)
        return forbidden("'" + identity.name + "' has role " + config::to_string(identity.role) +
                         "; the streams need subscribe");
    return caller(identity);
}

Caller HttpAuth::caller(const HttpIdentity& identity) const {
    Caller c;
    c.name = identity.name;
    c.may = [authorizer = authorizer_, name = identity.name, role = identity.role](std::string_view topic,
                                                                                   mqtt::Access access) {
        const Role needed = access == mqtt::Access::write ? Role::publish : Role::subscribe;
        return role >= needed && authorizer->authorize(name, "", topic, access);
    };
    return c;
}

std::optional<Response> HttpAuth::check(const Request& request, const std::string& route, Caller& out) const {
    const auto state = authorizer_->state();
    const auto needed = required_role(request.method, route, state->metrics_public);
    if (!needed) return std::nullopt;
    auto result = request.checked ? request.checked->result
                                  : identify(request.authorization, access_token_of(request), is_script(request),
                                             request.peer_address);
    if (auto* refusal = std::get_if<Response>(&result)) return std::move(*refusal);
    const auto& identity = std::get<HttpIdentity>(result);
    if (identity.role < *needed)
        return forbidden("'" + identity.name + "' has role " + config::to_string(identity.role) + "; " +
                         request.method + " " + route + " needs " + config::to_string(*needed));
    out = caller(identity);
    return std::nullopt;
}

}  // namespace mqgate::http
