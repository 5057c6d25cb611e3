// Raw HTTP/1.1 request bytes (pipelined) through Beast's parser with the
// server's limits, Accept-Encoding as SSE reads it, the session's request
// mapping (to_request) and the router with every REST route, the static
// files, CORS and authentication, against a broker holding a client, a
// subscription and retained messages. No sockets.
// Every answer must be a known status with well-formed headers and, when it
// says JSON, a JSON body.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <nlohmann/json.hpp>

#include "config/acl.hpp"
#include "config/authorizer.hpp"
#include "config/password_file.hpp"
#include "events/event_log.hpp"
#include "http/api.hpp"
#include "http/deflate.hpp"
#include "http/http_auth.hpp"
#include "http/router.hpp"
#include "http/session.hpp"
#include "http/static_files.hpp"
#include "http/streams.hpp"
#include "mqtt/broker.hpp"
#include "support/log.hpp"
#include "tests/fuzz/fuzz_support.hpp"
#include "tests/fuzz/null_connection.hpp"

using namespace mqgate;
namespace bhttp = boost::beast::http;

namespace {

constexpr std::size_t max_header_size = 8192;
constexpr std::size_t max_body_size = 64 * 1024;

// Users, tokens and an ACL; built once (hashing a password is slow).
std::shared_ptr<const config::AuthState> auth_state() {
    static const auto state = [] {
        auto s = std::make_shared<config::AuthState>();
        s->allow_anonymous = false;
        s->users = config::PasswordFile::parse("alice:" + config::hash_password("pw", config::min_pbkdf2_iterations) +
                                                   "\n",
                                               "passwd");
        s->acl = config::Acl::parse("user alice\ntopic readwrite a/#\npattern read devices/%u/#\n", "acl");
        s->tokens.push_back({config::sha256("admin-token"), "ops", config::Role::admin});
        s->tokens.push_back({config::sha256("read-token"), "grafana", config::Role::read});
        s->user_roles.emplace("alice", config::Role::publish);
        return s;
    }();
    return state;
}

struct World {
    std::chrono::system_clock::time_point now{std::chrono::seconds(1'700'000'000)};
    mqtt::Broker broker{mqtt::BrokerOptions{}, nullptr, nullptr, nullptr, [this] { return now; }};
    events::EventLog events{16};
    http::Router router;
    std::shared_ptr<fuzz::NullConnection> conn = std::make_shared<fuzz::NullConnection>();
    std::shared_ptr<mqtt::ClientLink> link;
    std::shared_ptr<http::HttpAuth> auth;

    World(bool authenticated, bool cors) {
        broker.observe([this](const mqtt::Event& e) { events.record(e); });
        link = broker.attach(conn);
        mqtt::Connect c;
        c.client_id = "dev1";
        c.will = mqtt::Will{"a/will", "gone", 1, false};
        link->packet(std::move(c));
        link->packet(mqtt::Subscribe{1, {{"a/#", 1}, {"$SYS/#", 0}}});
        broker.publish("a/b", "retained", 1, true);
        broker.publish("a/bin", std::string("\xff\x00\x01", 3), 0, true);
        http::add_api_routes(router, http::ApiContext{broker, events, [] { return true; }, nullptr, nullptr, nullptr, nullptr});
        router.set_fallback(http::serve_static_file);
        if (cors) router.set_cors_origins({"https://ok.example", "*"});
        if (authenticated) {
            auth = std::make_shared<http::HttpAuth>(std::make_shared<config::GatewayAuthorizer>(auth_state()));
            router.set_authorizer([a = auth](const http::Request& r, const std::string& route, http::Caller& caller) {
                return a->check(r, route, caller);
            });
        }
    }
    ~World() { link->closed(mqtt::DisconnectReason::network_error); }
};

bool header_text_ok(std::string_view s) { return s.find_first_of("\r\n") == std::string_view::npos; }

void check_response(const http::Response& r) {
    FUZZ_CHECK(r.status >= 200 && r.status <= 599);
    FUZZ_CHECK(header_text_ok(r.content_type));
    for (const auto& [name, value] : r.headers) FUZZ_CHECK(!name.empty() && header_text_ok(name) && header_text_ok(value));
    if (r.content_type.starts_with("application/json") && !r.body.empty())
        FUZZ_CHECK(nlohmann::json::accept(r.body));
}

// Parses one request off the front of `rest` as the session does; false when
// the session would stop reading (a parse error, or the bytes ran out).
bool next_request(std::string_view& rest, bhttp::request_parser<bhttp::string_body>& parser) {
    parser.header_limit(max_header_size);
    parser.body_limit(max_body_size);
    parser.eager(true);
    boost::beast::error_code ec;
    while (!parser.is_done()) {
        const auto n = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
        rest.remove_prefix(n);
        if (ec == bhttp::error::need_more && n != 0 && !rest.empty()) continue;
        if (ec == bhttp::error::need_more || (!ec && n == 0)) {
            parser.put_eof(ec);  // the peer is gone: only a body delimited by the close ends here
            return !ec && parser.is_done();
        }
        if (ec) return false;
    }
    return true;
}

}  // namespace

// The broker's warnings about bad clients would flood the output.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
    mqgate::log::set_level(mqgate::log::Level::off);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    World world((data[0] & 1) != 0, (data[0] & 2) != 0);
    std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    for (int pipelined = 0; pipelined < 8 && !rest.empty(); ++pipelined) {
        bhttp::request_parser<bhttp::string_body> parser;
        if (!next_request(rest, parser)) break;
        auto& message = parser.get();
        // The stream endpoints read this one header themselves (SSE gzip).
        (void)http::accepts_gzip(message[bhttp::field::accept_encoding]);
        if (http::Streams::serves(message.target())) break;  // handed over: the stream target's business
        const bool keep_alive = message.keep_alive();
        const auto request = http::to_request(message);
        check_response(world.router.dispatch(request));
        http::parse_authorization(request.authorization);
        http::parse_access_token(request.authorization);
        if (!keep_alive) break;
    }
    return 0;
}
