#include "http/openapi.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <set>

#include <nlohmann/json.hpp>

#include "events/event_log.hpp"
#include "http/api.hpp"
#include "http/router.hpp"
#include "mqtt/broker.hpp"

namespace {

using Route = std::pair<std::string, std::string>;

std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return s;
}

std::set<Route> documented() {
    const auto doc = nlohmann::json::parse(mqgate::http::openapi_document());
    std::set<Route> out;
    for (const auto& [path, item] : doc.at("paths").items()) {
        for (const auto& [key, op] : item.items()) {
            if (key != "parameters") out.emplace(upper(key), path);
        }
    }
    return out;
}

struct Api {
    mqgate::mqtt::Broker broker{mqgate::mqtt::BrokerOptions{}};
    mqgate::events::EventLog events{10};
    mqgate::http::Router router;
    Api() { mqgate::http::add_api_routes(router, {broker, events, [] { return true; }, nullptr, nullptr, nullptr, nullptr, nullptr}); }
};

TEST(OpenApi, IsOpenApi3) {
    const auto doc = nlohmann::json::parse(mqgate::http::openapi_document());
    EXPECT_TRUE(doc.at("openapi").get<std::string>().starts_with("3.0"));
}

TEST(OpenApi, DocumentsExactlyTheServedRoutes) {
    Api api;
    const auto served_list = api.router.routes();
    const std::set<Route> served(served_list.begin(), served_list.end());
    const auto docs = documented();
    for (const auto& r : served) EXPECT_TRUE(docs.count(r)) << "undocumented route: " << r.first << ' ' << r.second;
    for (const auto& r : docs) EXPECT_TRUE(served.count(r)) << "documented but not served: " << r.first << ' ' << r.second;
}

TEST(OpenApi, EveryDocumentedRouteAnswers) {
    Api api;
    for (const auto& [method, path] : documented()) {
        std::string target = path;
        for (const auto& [param, value] : {std::pair{"{clientid}", "nobody"}, std::pair{"{topic}", "a/b"}}) {
            if (const auto at = target.find(param); at != std::string::npos) target.replace(at, std::string(param).size(), value);
        }
        mqgate::http::Request request;
        request.method = method;
        request.target = target;
        request.content_type = "application/json";
        request.body = method == "POST" ? (path.ends_with("bulk") ? R"([{"topic":"t"}])" : R"({"topic":"t"})") : "";
        const auto response = api.router.dispatch(request);
        if (response.status >= 400) {
            const auto code = nlohmann::json::parse(response.body)["error"]["code"];
            EXPECT_NE(code, "not_found") << method << ' ' << target;
            EXPECT_NE(code, "method_not_allowed") << method << ' ' << target;
        }
    }
}

}  // namespace
