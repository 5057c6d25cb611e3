#include "http/router.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace {

using mqgate::http::Call;
using mqgate::http::Request;
using mqgate::http::Response;
using mqgate::http::Router;
using nlohmann::json;

std::string header(const Response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers)
        if (k == name) return v;
    return {};
}

std::string error_code(const Response& r) { return json::parse(r.body)["error"]["code"]; }

Request get(std::string target, std::string method = "GET") {
    Request r;
    r.method = std::move(method);
    r.target = std::move(target);
    return r;
}

// Echoes the decoded parameters so tests can see what a handler receives.
Response echo(const Call& call) {
    json j;
    for (const auto& [k, v] : call.path) j["path"][k] = v;
    for (const auto& [k, v] : call.query) j["query"][k] = v;
    return mqgate::http::json_response(200, j);
}

Router make_router() {
    Router r;
    r.add("GET", "/api/v1/clients", echo);
    r.add("GET", "/api/v1/clients/{clientid}", echo);
    r.add("DELETE", "/api/v1/clients/{clientid}", echo);
    r.add("GET", "/api/v1/clients/{clientid}/subscriptions", echo);
    r.add("POST", "/api/v1/publish", echo);
    r.add("GET", "/api/v1/retained/{topic+}", echo);
    r.add("DELETE", "/api/v1/retained/{topic+}", echo);
    return r;
}

TEST(Router, MatchesLiteralAndParameterRoutes) {
    const auto router = make_router();
    auto r = router.dispatch(get("/api/v1/clients?page=2&limit=5"));
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(json::parse(r.body)["query"]["page"], "2");

    r = router.dispatch(get("/api/v1/clients/dev%201"));
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(json::parse(r.body)["path"]["clientid"], "dev 1");

    r = router.dispatch(get("/api/v1/clients/dev-1/subscriptions"));
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(json::parse(r.body)["path"]["clientid"], "dev-1");

    // A client id may contain '/': percent-encoded it stays one segment.
    r = router.dispatch(get("/api/v1/clients/site%2Fdev"));
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(json::parse(r.body)["path"]["clientid"], "site/dev");
}

TEST(Router, UnknownPathIs404WithJsonError) {
    const auto router = make_router();
    for (const char* target : {"/", "/api/v2/clients", "/api/v1/clientsx", "/api/v1/clients/a/b", "/api/v1/publish/x"}) {
        const auto r = router.dispatch(get(target));
        EXPECT_EQ(r.status, 404) << target;
        EXPECT_EQ(error_code(r), "not_found") << target;
    }
}

TEST(Router, WrongMethodIs405WithAllow) {
    const auto router = make_router();
    auto r = router.dispatch(get("/api/v1/publish"));
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(error_code(r), "method_not_allowed");
    EXPECT_EQ(header(r, "Allow"), "POST, OPTIONS");

    r = router.dispatch(get("/api/v1/clients/x", "PUT"));
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(header(r, "Allow"), "GET, HEAD, DELETE, OPTIONS");
}

// RFC 9110 9.3.2: HEAD is served wherever GET is (the session drops the body).
TEST(Router, HeadIsServedByTheGetRoutes) {
    const auto router = make_router();
    auto r = router.dispatch(get("/api/v1/clients/dev-1", "HEAD"));
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(json::parse(r.body)["path"]["clientid"], "dev-1");
    EXPECT_EQ(router.dispatch(get("/api/v1/retained/a/b", "HEAD")).status, 200);

    r = router.dispatch(get("/api/v1/publish", "HEAD"));
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(header(r, "Allow"), "POST, OPTIONS");
    r = router.dispatch(get("/api/v1/clients", "OPTIONS"));
    EXPECT_EQ(r.status, 204);
    EXPECT_EQ(header(r, "Allow"), "GET, HEAD, OPTIONS");
}

// What the session decides on the header: refusals come with no handler
// run; an admitted request runs its handler once the body is in.
TEST(Router, AdmitDecidesOnTheHeaderAlone) {
    auto router = make_router();
    int authorized = 0;
    router.set_authorizer([&](const Request& r, const std::string&, mqgate::http::Caller& caller)
                              -> std::optional<Response> {
        ++authorized;
        if (r.authorization.empty()) return mqgate::http::error_response(401, "unauthorized", "no");
        caller.name = r.authorization;
        return std::nullopt;
    });
    router.add("POST", "/api/v1/echo-body", [](const Call& call) {
        return mqgate::http::json_response(200, {{"body", call.request.body}, {"caller", call.caller.name}});
    });
    auto request = get("/api/v1/echo-body", "POST");
    auto admission = router.admit(request);
    ASSERT_TRUE(admission.answer);
    EXPECT_EQ(admission.answer->status, 401);

    for (const char* target : {"/api/v1/nothing", "/api/v1/publish/x"}) {
        admission = router.admit(get(target, "POST"));
        ASSERT_TRUE(admission.answer) << target;
        EXPECT_EQ(admission.answer->status, 404) << target;
    }
    admission = router.admit(get("/api/v1/clients", "POST"));
    ASSERT_TRUE(admission.answer);
    EXPECT_EQ(admission.answer->status, 405);
    EXPECT_EQ(authorized, 1);  // 404 and 405 never ask the authorizer

    request.authorization = "alice";
    admission = router.admit(request);
    ASSERT_FALSE(admission.answer);
    EXPECT_EQ(authorized, 2);
    request.body = "payload";
    const auto r = router.run(request, std::move(admission));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(json::parse(r.body), json({{"body", "payload"}, {"caller", "alice"}}));
    EXPECT_EQ(authorized, 2);  // run() does not authorize again
}

TEST(Router, TopicInPathDecodesEachLevel) {
    const auto router = make_router();
    const std::pair<const char*, const char*> cases[] = {
        {"/api/v1/retained/a/b/c", "a/b/c"},
        {"/api/v1/retained/sensors/room%201/temp", "sensors/room 1/temp"},
        {"/api/v1/retained/%24SYS/x", "$SYS/x"},
        {"/api/v1/retained/a//b", "a//b"},
        {"/api/v1/retained/a/", "a/"},
        {"/api/v1/retained/caf%C3%A9", "caf\xC3\xA9"},
        {"/api/v1/retained/a+b", "a+b"},  // '+' is not a space in a path
    };
    for (const auto& [target, topic] : cases) {
        const auto r = router.dispatch(get(target));
        ASSERT_EQ(r.status, 200) << target;
        EXPECT_EQ(json::parse(r.body)["path"]["topic"], topic) << target;
    }
}

TEST(Router, EncodedSlashInATopicLevelIsRejected) {
    const auto router = make_router();
    for (const char* target : {"/api/v1/retained/a%2Fb", "/api/v1/retained/a/b%2fc"}) {
        const auto r = router.dispatch(get(target, "DELETE"));
        EXPECT_EQ(r.status, 400) << target;
        EXPECT_EQ(error_code(r), "invalid_topic") << target;
    }
}

TEST(Router, MalformedPercentEscapeIs400) {
    const auto router = make_router();
    for (const char* target : {"/api/v1/retained/a%2", "/api/v1/retained/%zz", "/api/v1/clients?clientid=%G1"}) {
        const auto r = router.dispatch(get(target));
        EXPECT_EQ(r.status, 400) << target;
    }
}

TEST(Router, QueryIsFormDecoded) {
    const auto router = make_router();
    const auto r = router.dispatch(get("/api/v1/clients?clientid=a+b&username=%61l&filter=a%2F%23&flag"));
    ASSERT_EQ(r.status, 200);
    const auto q = json::parse(r.body)["query"];
    EXPECT_EQ(q["clientid"], "a b");
    EXPECT_EQ(q["username"], "al");
    EXPECT_EQ(q["filter"], "a/#");
    EXPECT_EQ(q["flag"], "");
}

TEST(Router, AuthorizerCanRefuse) {
    auto router = make_router();
    router.set_authorizer([](const Request& r, const std::string&, mqgate::http::Caller&) -> std::optional<Response> {
        if (r.method == "DELETE") return mqgate::http::error_response(401, "unauthorized", "no");
        return std::nullopt;
    });
    EXPECT_EQ(router.dispatch(get("/api/v1/clients/x")).status, 200);
    EXPECT_EQ(router.dispatch(get("/api/v1/clients/x", "DELETE")).status, 401);
}

TEST(Router, CorsOffByDefault) {
    const auto router = make_router();
    auto req = get("/api/v1/clients");
    req.origin = "https://dash.example";
    const auto r = router.dispatch(req);
    EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "");
}

TEST(Router, CorsAllowsConfiguredOriginsAndAnswersPreflight) {
    auto router = make_router();
    router.set_cors_origins({"https://dash.example"});
    auto req = get("/api/v1/clients");
    req.origin = "https://dash.example";
    auto r = router.dispatch(req);
    EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "https://dash.example");
    EXPECT_EQ(header(r, "Vary"), "Origin");

    req.origin = "https://evil.example";
    r = router.dispatch(req);
    EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "");

    auto preflight = get("/api/v1/publish", "OPTIONS");
    preflight.origin = "https://dash.example";
    preflight.access_control_request_method = "POST";
    preflight.access_control_request_headers = "content-type";
    r = router.dispatch(preflight);
    EXPECT_EQ(r.status, 204);
    EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "https://dash.example");
    EXPECT_EQ(header(r, "Access-Control-Allow-Methods"), "POST, OPTIONS");
    EXPECT_EQ(header(r, "Access-Control-Allow-Headers"), "content-type");
}

TEST(Router, RoutesAreListedInOpenApiSyntax) {
    const auto routes = make_router().routes();
    EXPECT_NE(std::find(routes.begin(), routes.end(), std::pair<std::string, std::string>("GET", "/api/v1/retained/{topic}")),
              routes.end());
}

TEST(Router, AsyncRouteAnswersLaterWithCorsAndCanBeCancelled) {
    Router router;
    router.set_cors_origins({"https://dash.example"});
    mqgate::http::Reply held;
    bool cancelled = false;
    router.add_async("POST", "/api/v1/requests", [&](const Call&, mqgate::http::Reply reply) -> mqgate::http::Cancel {
        held = std::move(reply);
        return [&cancelled] { cancelled = true; };
    });
    auto request = get("/api/v1/requests", "POST");
    request.origin = "https://dash.example";
    std::optional<Response> later;
    auto started = router.start(request, router.admit(request), [&](Response r) { later = std::move(r); });
    EXPECT_FALSE(started.now);
    ASSERT_TRUE(held);
    EXPECT_FALSE(later);
    held(mqgate::http::json_response(200, {{"ok", true}}));
    ASSERT_TRUE(later);
    EXPECT_EQ(later->status, 200);
    EXPECT_EQ(header(*later, "Access-Control-Allow-Origin"), "https://dash.example");
    ASSERT_TRUE(started.cancel);
    started.cancel();
    EXPECT_TRUE(cancelled);
    // dispatch() cannot wait: an answer that did not come at once is a 500.
    EXPECT_EQ(router.dispatch(request).status, 500);
}

}  // namespace
