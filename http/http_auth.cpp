#include "http/http_auth.hpp"

#include "gateway/event_payload.hpp"

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
    if (method == "POST" && route.starts_with("/api/v1/publish")) return Role::publish;
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

std::optional<HttpIdentity> HttpAuth::verify(const config::AuthState& state, const Credentials& c) const {
    if (c.kind == Credentials::Kind::bearer) {
        if (const auto* token = config::GatewayAuthorizer::find_token(state, c.secret))
            return HttpIdentity{token->name, token->role};
    } else if (c.kind == Credentials::Kind::basic) {
        if (authorizer_->check_password(state, c.user, c.secret)) return HttpIdentity{c.user, state.role_of_user(c.user)};
    }
    return std::nullopt;
}

std::variant<HttpIdentity, Response> HttpAuth::identify(std::string_view authorization, std::string_view access_token,
                                                        bool script_request) const {
    const auto state = authorizer_->state();
    const auto header = parse_authorization(authorization);
    if (header.kind == Credentials::Kind::malformed)
        return unauthorized("the Authorization header must be Basic or Bearer", script_request);
    std::vector<Credentials> candidates;
    if (header.kind != Credentials::Kind::none) candidates.push_back(header);
    else candidates = parse_access_token(access_token);
    if (candidates.empty()) {
        if (state->http_open()) return HttpIdentity{"", Role::admin};
        return unauthorized("credentials required: HTTP Basic, a Bearer token or access_token", script_request);
    }
    for (const auto& c : candidates) {
        if (auto identity = verify(*state, c)) return std::move(*identity);
    }
    return unauthorized("the credentials were refused", script_request);
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
    std::string_view access_token;
    Query query;
    if (const auto q = request.target.find('?'); q != std::string::npos) {
        if (auto parsed = parse_query(std::string_view(request.target).substr(q + 1))) query = std::move(*parsed);
        if (const auto it = query.find("access_token"); it != query.end()) access_token = it->second;
    }
    const bool script = request.sec_fetch_mode == "cors" || request.sec_fetch_mode == "same-origin";
    auto result = identify(request.authorization, access_token, script);
    if (auto* refusal = std::get_if<Response>(&result)) return std::move(*refusal);
    const auto& identity = std::get<HttpIdentity>(result);
    if (identity.role < *needed)
        return forbidden("'" + identity.name + "' has role " + config::to_string(identity.role) + "; " +
                         request.method + " " + route + " needs " + config::to_string(*needed));
    out = caller(identity);
    return std::nullopt;
}

}  // namespace mqgate::http
