// Who may use the HTTP API and the streams: HTTP Basic with the password
// file's users, or an API token (Authorization: Bearer, or access_token in
// the query where a browser cannot set headers), each with a role:
//
//   read       GET /api/v1/stats, /metrics, /api/v1/openapi.json
//   subscribe  read + every other GET, the JSON stream and SSE (subscribe)
//   publish    subscribe + POST /api/v1/publish[/bulk], publish on the stream
//   admin      everything: DELETE clients (kick), DELETE retained
//
// /healthz, /readyz and the dashboard's static files are public; /metrics
// too with auth.metrics_public. Topics are governed by the same ACL as MQTT,
// with the HTTP identity as the username (and no client id). When
// anonymous access is on and no user or token exists, the API is open.
#pragma once

#include <memory>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/authorizer.hpp"
#include "http/router.hpp"

namespace mqgate::http {

struct Credentials {
    enum class Kind { none, basic, bearer, malformed };
    Kind kind = Kind::none;
    std::string user;    // basic
    std::string secret;  // basic: the password; bearer: the token
};

// The Authorization header's value.
Credentials parse_authorization(std::string_view header);
// access_token: an API token, or base64 "user:password" (what the dashboard
// sends for a password login).
std::vector<Credentials> parse_access_token(std::string_view value);

// The role `method` on `route` needs; nullopt: public.
std::optional<config::Role> required_role(std::string_view method, std::string_view route, bool metrics_public);

struct HttpIdentity {
    std::string name;  // "" = anonymous (the API is open)
    config::Role role = config::Role::read;
};

struct CredentialCheck {
    std::variant<HttpIdentity, Response> result;
};

// 429 while the client's address or the username backs off after failed
// logins; 503 when the password verifier's queue is full.
Response too_many_failures();
Response verifier_busy();

// 401 with the challenges. A script's fetch() gets no Basic challenge, so the
// browser does not put its own login box in front of the dashboard's.
Response unauthorized(std::string_view message, bool script_request);
Response forbidden(std::string_view message);

class HttpAuth {
public:
    explicit HttpAuth(std::shared_ptr<config::GatewayAuthorizer> authorizer) : authorizer_(std::move(authorizer)) {}

    // The caller of a request with these credentials (the Authorization
    // header, else the access_token query value), or the 401/429/503 answer.
    // Hashes a password on this thread unless the cache knows it: callers
    // on I/O threads run verify() first.
    std::variant<HttpIdentity, Response> identify(std::string_view authorization, std::string_view access_token,
                                                  bool script_request, const std::string& address = {}) const;

    // The router's verifier: a password to check (Basic, or base64
    // user:password in access_token, unless a token matched) goes to the
    // authorizer's verifier threads; the answer comes back through `done`.
    bool verify(const Request& request, std::function<void(CheckResult)> done) const;

    // The router's authorizer: 401/403 or nullopt with `caller` filled.
    std::optional<Response> check(const Request& request, const std::string& route, Caller& caller) const;

    // A JSON stream or SSE: needs the subscribe role.
    std::variant<Caller, Response> admit_stream(std::string_view authorization, std::string_view access_token,
                                                bool script_request) const;

    // What `identity` may do with topics: its role, then the ACL.
    Caller caller(const HttpIdentity& identity) const;

    bool open() const { return authorizer_->state()->http_open(); }

private:
    // The credentials to try, or the 401 for a malformed header; empty: none given.
    static std::variant<std::vector<Credentials>, Response> candidates(std::string_view authorization,
                                                                       std::string_view access_token,
                                                                       bool script_request);
    static std::variant<HttpIdentity, Response> answer(const config::AuthState& state, const std::string& user,
                                                       config::LoginVerdict verdict, bool script_request);

    std::shared_ptr<config::GatewayAuthorizer> authorizer_;
};

}  // namespace mqgate::http
