#include <chrono>
#include <future>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "config/authorizer.hpp"
#include "events/event_payload.hpp"
#include "http/http_auth.hpp"

namespace {

using mqgate::config::AuthState;
using mqgate::config::GatewayAuthorizer;
using mqgate::config::Role;
using mqgate::http::Caller;
using mqgate::http::Credentials;
using mqgate::http::HttpAuth;
using mqgate::http::Request;
using mqgate::http::Response;
using mqgate::mqtt::Access;

std::string basic(const std::string& user, const std::string& password) {
    return "Basic " + mqgate::payload::base64_encode(user + ":" + password);
}

std::size_t count_header(const Response& r, const std::string& name, const std::string& prefix) {
    std::size_t n = 0;
    for (const auto& [k, v] : r.headers) n += k == name && v.rfind(prefix, 0) == 0;
    return n;
}

TEST(ParseAuthorization, BasicBearerAndMalformed) {
    auto c = mqgate::http::parse_authorization(basic("alice", "p:w"));
    EXPECT_EQ(c.kind, Credentials::Kind::basic);
    EXPECT_EQ(c.user, "alice");
    EXPECT_EQ(c.secret, "p:w");  // only the first ':' separates
    c = mqgate::http::parse_authorization("bearer  tok-123 ");
    EXPECT_EQ(c.kind, Credentials::Kind::bearer);
    EXPECT_EQ(c.secret, "tok-123");
    EXPECT_EQ(mqgate::http::parse_authorization("").kind, Credentials::Kind::none);
    EXPECT_EQ(mqgate::http::parse_authorization("Basic !!!").kind, Credentials::Kind::malformed);
    EXPECT_EQ(mqgate::http::parse_authorization("Basic " + mqgate::payload::base64_encode("nocolon")).kind,
              Credentials::Kind::malformed);
    EXPECT_EQ(mqgate::http::parse_authorization("Digest x").kind, Credentials::Kind::malformed);
    EXPECT_EQ(mqgate::http::parse_authorization("Bearer ").kind, Credentials::Kind::malformed);
}

TEST(ParseAccessToken, TokenOrBase64UserPassword) {
    auto c = mqgate::http::parse_access_token("tok");
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].kind, Credentials::Kind::bearer);
    c = mqgate::http::parse_access_token(mqgate::payload::base64_encode("bob:pw"));
    ASSERT_EQ(c.size(), 2u);
    EXPECT_EQ(c[1].kind, Credentials::Kind::basic);
    EXPECT_EQ(c[1].user, "bob");
    EXPECT_TRUE(mqgate::http::parse_access_token("").empty());
}

TEST(RequiredRole, RoutesByRole) {
    using mqgate::http::required_role;
    EXPECT_EQ(required_role("GET", "/healthz", false), std::nullopt);
    EXPECT_EQ(required_role("GET", "/readyz", false), std::nullopt);
    EXPECT_EQ(required_role("GET", "/metrics", true), std::nullopt);
    EXPECT_EQ(required_role("GET", "/metrics", false), Role::read);
    EXPECT_EQ(required_role("GET", "/api/v1/stats", false), Role::read);
    EXPECT_EQ(required_role("GET", "/api/v1/openapi.json", false), Role::read);
    EXPECT_EQ(required_role("GET", "/api/v1/clients", false), Role::subscribe);
    EXPECT_EQ(required_role("GET", "/api/v1/retained/{topic+}", false), Role::subscribe);
    EXPECT_EQ(required_role("GET", "/api/v1/events", false), Role::subscribe);
    EXPECT_EQ(required_role("POST", "/api/v1/publish", false), Role::publish);
    EXPECT_EQ(required_role("POST", "/api/v1/publish/bulk", false), Role::publish);
    EXPECT_EQ(required_role("DELETE", "/api/v1/clients/{clientid}", false), Role::admin);
    EXPECT_EQ(required_role("DELETE", "/api/v1/retained/{topic+}", false), Role::admin);
    EXPECT_EQ(required_role("PUT", "/api/v1/anything-new", false), Role::admin);
}

class HttpAuthTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto state = std::make_shared<AuthState>();
        state->allow_anonymous = false;
        state->users.emplace();
        const auto h = mqgate::config::hash_password("pw", mqgate::config::min_pbkdf2_iterations);
        state->users->set("alice", h);
        state->users->set("bob", h);
        state->user_roles.emplace("alice", Role::admin);
        state->default_user_role = Role::subscribe;
        state->tokens.push_back({mqgate::config::sha256("reader-token"), "dash", Role::read});
        state->tokens.push_back({mqgate::config::sha256("pub-token"), "svc", Role::publish});
        state->acl = mqgate::config::Acl::parse("user svc\ntopic write out/#\nuser bob\ntopic read in/#\n", "acl");
        authorizer = std::make_shared<GatewayAuthorizer>(state);
        auth = std::make_unique<HttpAuth>(authorizer);
    }

    std::optional<Response> check(const std::string& method, const std::string& route, const std::string& authorization,
                                  const std::string& target = "") {
        Request r;
        r.method = method;
        r.target = target.empty() ? route : target;
        r.authorization = authorization;
        caller = {};
        return auth->check(r, route, caller);
    }

    std::shared_ptr<GatewayAuthorizer> authorizer;
    std::unique_ptr<HttpAuth> auth;
    Caller caller;
};

TEST_F(HttpAuthTest, NoCredentialsIs401WithBothChallenges) {
    const auto r = check("GET", "/api/v1/clients", "");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(count_header(*r, "WWW-Authenticate", "Basic realm=\"mqgate\""), 1u);
    EXPECT_EQ(count_header(*r, "WWW-Authenticate", "Bearer realm=\"mqgate\""), 1u);
    // Public routes need nothing.
    EXPECT_FALSE(check("GET", "/healthz", ""));
}

TEST_F(HttpAuthTest, ScriptRequestsGetNoBasicChallenge) {
    Request r;
    r.method = "GET";
    r.target = "/api/v1/clients";
    r.sec_fetch_mode = "cors";
    const auto refused = auth->check(r, "/api/v1/clients", caller);
    ASSERT_TRUE(refused);
    EXPECT_EQ(count_header(*refused, "WWW-Authenticate", "Basic"), 0u);
    EXPECT_EQ(count_header(*refused, "WWW-Authenticate", "Bearer"), 1u);
}

TEST_F(HttpAuthTest, WrongCredentialsAre401) {
    EXPECT_EQ(check("GET", "/api/v1/stats", basic("alice", "nope"))->status, 401);
    EXPECT_EQ(check("GET", "/api/v1/stats", basic("nobody", "pw"))->status, 401);
    EXPECT_EQ(check("GET", "/api/v1/stats", "Bearer wrong")->status, 401);
    EXPECT_EQ(check("GET", "/api/v1/stats", "Basic ???")->status, 401);
}

TEST_F(HttpAuthTest, RolesDecideRoutes) {
    // read token: status only.
    EXPECT_FALSE(check("GET", "/api/v1/stats", "Bearer reader-token"));
    EXPECT_EQ(caller.name, "dash");
    EXPECT_EQ(check("GET", "/api/v1/clients", "Bearer reader-token")->status, 403);
    // bob: the default role (subscribe).
    EXPECT_FALSE(check("GET", "/api/v1/clients", basic("bob", "pw")));
    EXPECT_EQ(check("POST", "/api/v1/publish", basic("bob", "pw"))->status, 403);
    // publish token.
    EXPECT_FALSE(check("POST", "/api/v1/publish", "Bearer pub-token"));
    EXPECT_EQ(check("DELETE", "/api/v1/clients/{clientid}", "Bearer pub-token")->status, 403);
    // alice: admin.
    EXPECT_FALSE(check("DELETE", "/api/v1/retained/{topic+}", basic("alice", "pw")));
    EXPECT_FALSE(check("DELETE", "/api/v1/clients/{clientid}", basic("alice", "pw")));
}

TEST_F(HttpAuthTest, AccessTokenInTheQuery) {
    EXPECT_FALSE(check("GET", "/api/v1/stats", "", "/api/v1/stats?access_token=reader-token"));
    const auto b64 = mqgate::payload::base64_encode("bob:pw");
    EXPECT_FALSE(check("GET", "/api/v1/clients", "", "/api/v1/clients?access_token=" + b64));
    EXPECT_EQ(caller.name, "bob");
    EXPECT_EQ(check("GET", "/api/v1/stats", "", "/api/v1/stats?access_token=bad")->status, 401);
}

TEST_F(HttpAuthTest, CallerTopicsFollowRoleAndAcl) {
    ASSERT_FALSE(check("POST", "/api/v1/publish", "Bearer pub-token"));
    ASSERT_TRUE(caller.may);
    EXPECT_TRUE(caller.may("out/x", Access::write));
    EXPECT_FALSE(caller.may("in/x", Access::write));
    ASSERT_FALSE(check("GET", "/api/v1/clients", basic("bob", "pw")));
    EXPECT_TRUE(caller.may("in/#", Access::read));
    EXPECT_FALSE(caller.may("in/x", Access::write)) << "subscribe role cannot publish";
    EXPECT_FALSE(caller.may("#", Access::read));
}

TEST_F(HttpAuthTest, StreamsNeedTheSubscribeRole) {
    EXPECT_TRUE(std::holds_alternative<Response>(auth->admit_stream("", "", false)));
    const auto read_only = auth->admit_stream("Bearer reader-token", "", false);
    ASSERT_TRUE(std::holds_alternative<Response>(read_only));
    EXPECT_EQ(std::get<Response>(read_only).status, 403);
    EXPECT_TRUE(std::holds_alternative<Caller>(auth->admit_stream("", "pub-token", false)));
}

TEST(HttpAuthOpen, OpenWithoutUsersOrTokensWhenAnonymousIsOn) {
    auto state = std::make_shared<AuthState>();
    auto authorizer = std::make_shared<GatewayAuthorizer>(state);
    HttpAuth auth(authorizer);
    Request r;
    r.method = "DELETE";
    r.target = "/api/v1/clients/x";
    Caller caller;
    EXPECT_FALSE(auth.check(r, "/api/v1/clients/{clientid}", caller));

    auto closed = std::make_shared<AuthState>();
    closed->tokens.push_back({mqgate::config::sha256("t"), "t", Role::admin});
    authorizer->replace(closed);
    const auto refused = auth.check(r, "/api/v1/clients/{clientid}", caller);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 401);
}

// The authorizer's answer, waited for (bounded): a password check answers
// from a verifier thread.
std::pair<mqgate::mqtt::ConnectReturn, std::string> authenticate(GatewayAuthorizer& auth,
                                                                 const mqgate::mqtt::Connect& c,
                                                                 const mqgate::mqtt::PeerInfo& peer) {
    std::promise<std::pair<mqgate::mqtt::ConnectReturn, std::string>> answer;
    auto future = answer.get_future();
    auth.authenticate(c, peer, [&answer](mqgate::mqtt::ConnectReturn code, std::string identity) {
        answer.set_value({code, std::move(identity)});
    });
    if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
        ADD_FAILURE() << "no answer within 30 s";
        return {};
    }
    return future.get();
}

TEST(GatewayAuthorizerMqtt, ConnectReturnCodes) {
    auto state = std::make_shared<AuthState>();
    state->allow_anonymous = false;
    state->users.emplace();
    state->users->set("alice", mqgate::config::hash_password("pw", mqgate::config::min_pbkdf2_iterations));
    GatewayAuthorizer auth(state);
    mqgate::mqtt::Connect c;
    mqgate::mqtt::PeerInfo peer;
    using mqgate::mqtt::ConnectReturn;
    EXPECT_EQ(authenticate(auth, c, peer).first, ConnectReturn::not_authorized);
    c.username = "alice";
    c.password = "bad";
    EXPECT_EQ(authenticate(auth, c, peer).first, ConnectReturn::bad_username_or_password);
    c.password = "pw";
    EXPECT_EQ(authenticate(auth, c, peer), std::make_pair(ConnectReturn::accepted, std::string("alice")));
    // Cached: still right, and still refuses a wrong one.
    EXPECT_EQ(authenticate(auth, c, peer).first, ConnectReturn::accepted);
    c.password = "pw2";
    EXPECT_EQ(authenticate(auth, c, peer).first, ConnectReturn::bad_username_or_password);
    c.username.reset();
    c.password.reset();
    auto with_cert = std::make_shared<AuthState>(*state);
    with_cert->use_identity_as_username = true;
    auth.replace(with_cert);
    peer.tls_common_name = "device-7";
    EXPECT_EQ(authenticate(auth, c, peer), std::make_pair(ConnectReturn::accepted, std::string("device-7")));
}

}  // namespace
