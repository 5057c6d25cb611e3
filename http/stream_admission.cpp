#include "http/stream_admission.hpp"

#include <algorithm>

#include <boost/beast/websocket/rfc6455.hpp>

namespace mqgate::http {

std::optional<Response> admit_stream(const StreamOptions& options, std::string_view path, const StreamRequest& request,
                                     Caller& caller) {
    namespace bhttp = boost::beast::http;
    const std::string_view origin = request[bhttp::field::origin];
    if (boost::beast::websocket::is_upgrade(request) && !options.allowed_origins.empty() && !origin.empty() &&
        std::none_of(options.allowed_origins.begin(), options.allowed_origins.end(),
                     [&](const std::string& allowed) { return allowed == "*" || allowed == origin; }))
        return error_response(403, "origin_not_allowed", "WebSocket connections from this Origin are not allowed");
    if (path == "/mqtt" || !options.authenticate) return std::nullopt;

    const std::string_view target = request.target();
    const auto qmark = target.find('?');
    const std::string_view raw_query = qmark == std::string_view::npos ? std::string_view() : target.substr(qmark + 1);
    const auto query = parse_query(raw_query);
    std::string_view access_token;
    if (query) {
        if (const auto it = query->find("access_token"); it != query->end()) access_token = it->second;
    }
    const std::string_view mode = request["Sec-Fetch-Mode"];
    auto result = options.authenticate(request[bhttp::field::authorization], access_token,
                                       mode == "cors" || mode == "same-origin");
    if (auto* refusal = std::get_if<Response>(&result)) return std::move(*refusal);
    caller = std::move(std::get<Caller>(result));
    if (path != "/api/v1/stream/sse" || !caller.may) return std::nullopt;

    // SSE subscribes from the query (every `filter`, repeated keys included)
    // before any answer: refuse a forbidden one up front.
    std::string_view rest = raw_query;
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const auto pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
        const auto eq = pair.find('=');
        if (eq == std::string_view::npos || pair.substr(0, eq) != "filter") continue;
        const auto filter = percent_decode(pair.substr(eq + 1));
        if (filter && !caller.may(*filter, mqtt::Access::read))
            return error_response(403, "forbidden", "the ACL does not let '" + caller.name + "' subscribe to '" +
                                                        *filter + "'");
    }
    return std::nullopt;
}

}  // namespace mqgate::http
