// Maps (method, path pattern) to handlers. Pure: requests and responses are
// plain structs, so routing, CORS and errors are testable without sockets.
//
// Patterns are literal segments, "{name}" (one segment, percent-decoded, may
// decode to '/') and a final "{name+}" (one or more segments joined by '/',
// each percent-decoded; an encoded '/' inside a segment is rejected with 400
// "invalid_<name>", since it would silently add a topic level).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "mqtt/auth.hpp"

namespace mqgate::http {

// What checking a request's credentials off the I/O thread came to (a
// password hash is slow): the authorizer takes it instead of checking again.
// Opaque here; http_auth.hpp defines it.
struct CredentialCheck;

struct Request {
    std::string method;  // upper case, as on the wire
    std::string target;  // path and query, still percent-encoded
    std::string content_type;
    std::string origin;
    std::string access_control_request_method;
    std::string access_control_request_headers;
    std::string if_none_match;
    std::string authorization;   // the Authorization header
    std::string sec_fetch_mode;  // Sec-Fetch-Mode: "cors"/"same-origin" for a script's fetch()
    std::string body;
    std::string peer_address;    // the client's IP, for the login back-off
    std::shared_ptr<const CredentialCheck> checked;  // set once Router::verify() answered
};

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

Response json_response(int status, const nlohmann::json& body);
// {"error":{"code":…,"message":…}}
Response error_response(int status, std::string_view code, std::string_view message);

// Query parameters, form-decoded ('+' is a space). Repeated keys: first wins.
using Query = std::map<std::string, std::string, std::less<>>;
std::optional<Query> parse_query(std::string_view query);

// Percent-decodes; nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space = false);

// Who sent a request, as the authorizer established it. `may` answers
// whether the caller may publish (write) or subscribe (read) a topic under
// the ACL; null allows everything.
struct Caller {
    std::string name;  // "" = anonymous
    std::function<bool(std::string_view topic, mqtt::Access access)> may;
};

struct Call {
    const Request& request;
    std::map<std::string, std::string, std::less<>> path;  // pattern parameters, decoded
    Query query;
    Caller caller;

    const std::string* param(std::string_view name) const;
    const std::string* query_param(std::string_view name) const;
};

using Handler = std::function<Response(const Call&)>;
// An answer that takes time (a device's reply): the handler starts the work
// and returns at once; `reply` is then called exactly once, from any thread,
// unless the returned Cancel ran first (the client went away; it may run on
// any thread, at most once, and may be null when there is nothing to stop).
using Reply = std::function<void(Response)>;
using Cancel = std::function<void()>;
using AsyncHandler = std::function<Cancel(const Call&, Reply reply)>;
// Answers a response to refuse the request, or nullopt to let it through
// (then `caller` is who sent it). `route` is the matched pattern, e.g.
// "/api/v1/clients/{clientid}".
using Authorizer = std::function<std::optional<Response>(const Request&, const std::string& route, Caller& caller)>;
// Starts checking the request's credentials where that is slow and returns
// true; `done` then runs once, on any thread, with what to put in
// Request::checked and the answer to give instead of serving a stream, if
// they were refused (401, 429, 503). False: nothing slow to check, `done`
// is not called.
struct CheckResult {
    std::shared_ptr<const CredentialCheck> check;
    std::optional<Response> refusal;
};
using Verifier = std::function<bool(const Request&, std::function<void(CheckResult)> done)>;
// Answers requests whose path no route has (the dashboard's static files).
using Fallback = std::function<Response(const Request&)>;

class Router {
public:
    void add(std::string method, std::string pattern, Handler handler);
    void add_async(std::string method, std::string pattern, AsyncHandler handler);
    void set_authorizer(Authorizer authorizer) { authorizer_ = std::move(authorizer); }
    void set_verifier(Verifier verifier) { verifier_ = std::move(verifier); }
    bool verify(const Request& request, std::function<void(CheckResult)> done) const {
        return verifier_ && verifier_(request, std::move(done));
    }
    // Without a fallback, an unknown path is a JSON 404.
    void set_fallback(Fallback fallback) { fallback_ = std::move(fallback); }
    // Origins allowed to read responses from a browser; empty turns CORS off.
    void set_cors_origins(std::vector<std::string> origins) { cors_origins_ = std::move(origins); }

    // What the request line and header alone decide, so that a request to
    // be refused never has its body read: either `answer` (404, 405 + Allow
    // for a known path with another method, OPTIONS (CORS preflight or not)
    // → 204 with the allowed methods, the authorizer's 401/403, a static
    // file), or the route whose handler run() calls once the body is in.
    // HEAD is served by the GET routes (the session drops the body).
    struct Admission {
        std::optional<Response> answer;
        std::size_t route = 0;
        std::map<std::string, std::string, std::less<>> path;
        Query query;
        Caller caller;
    };
    Admission admit(const Request& request) const;
    // The admitted route's handler with the complete request: `now` holds
    // the answer of a synchronous route (or the admission's); an
    // asynchronous one calls `later` once instead (CORS added) and `cancel`
    // may abandon it.
    struct Started {
        std::optional<Response> now;
        Cancel cancel;
    };
    Started start(const Request& request, Admission admission, Reply later) const;
    // start() for callers that cannot wait: an asynchronous route that does
    // not answer before its handler returns is a 500.
    Response run(const Request& request, Admission admission) const;
    Response dispatch(const Request& request) const { return run(request, admit(request)); }

    // Every (method, path) served, with "{name+}" written "{name}" as OpenAPI
    // does.
    std::vector<std::pair<std::string, std::string>> routes() const;

private:
    struct Segment {
        enum Kind { literal, param, tail } kind;
        std::string text;  // literal text or parameter name
    };
    struct Route {
        std::string method;
        std::string pattern;
        std::vector<Segment> segments;
        Handler handler;
        AsyncHandler async;  // set instead of handler
    };

    bool cors_allowed(std::string_view origin) const;
    void add_cors(const Request& request, Response& response) const;

    std::vector<Route> routes_;
    Authorizer authorizer_;
    Verifier verifier_;
    Fallback fallback_;
    std::vector<std::string> cors_origins_;
};

}  // namespace mqgate::http
