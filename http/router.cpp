#include "http/router.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace mqgate::http {
namespace {

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    for (;;) {
        const auto pos = s.find(sep, start);
        parts.push_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
        if (pos == std::string_view::npos) return parts;
        start = pos + 1;
    }
}

std::string join_methods(const std::vector<std::string>& methods) {
    std::string out;
    for (const auto& m : methods) {
        if (!out.empty()) out += ", ";
        out += m;
    }
    return out;
}

}  // namespace

Response json_response(int status, const nlohmann::json& body) {
    Response r;
    r.status = status;
    // Strings from MQTT peers are validated UTF-8, but a replacement character
    // is better than an exception if something slips through.
    r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return r;
}

Response error_response(int status, std::string_view code, std::string_view message) {
    return json_response(status, {{"error", {{"code", code}, {"message", message}}}});
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size()) return std::nullopt;
            const int hi = hex_value(text[i + 1]);
            const int lo = hex_value(text[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

std::optional<Query> parse_query(std::string_view query) {
    Query q;
    if (query.empty()) return q;
    for (auto part : split(query, '&')) {
        if (part.empty()) continue;
        const auto eq = part.find('=');
        auto key = percent_decode(part.substr(0, eq), true);
        auto value = percent_decode(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1), true);
        if (!key || !value) return std::nullopt;
        q.emplace(std::move(*key), std::move(*value));
    }
    return q;
}

const std::string* Call::param(std::string_view name) const {
    const auto it = path.find(name);
    return it == path.end() ? nullptr : &it->second;
}

const std::string* Call::query_param(std::string_view name) const {
    const auto it = query.find(name);
    return it == query.end() ? nullptr : &it->second;
}

void Router::add_async(std::string method, std::string pattern, AsyncHandler handler) {
    add(std::move(method), std::move(pattern), nullptr);
    routes_.back().async = std::move(handler);
}

void Router::add(std::string method, std::string pattern, Handler handler) {
    Route route{std::move(method), pattern, {}, std::move(handler), nullptr};
    const auto parts = split(std::string_view(pattern).substr(1), '/');
    for (auto part : parts) {
        if (part.size() > 2 && part.front() == '{' && part.back() == '}') {
            part = part.substr(1, part.size() - 2);
            if (part.back() == '+') {
                route.segments.push_back({Segment::tail, std::string(part.substr(0, part.size() - 1))});
            } else {
                route.segments.push_back({Segment::param, std::string(part)});
            }
        } else {
            route.segments.push_back({Segment::literal, std::string(part)});
        }
    }
    routes_.push_back(std::move(route));
}

std::vector<std::pair<std::string, std::string>> Router::routes() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& r : routes_) {
        std::string path = r.pattern;
        if (const auto plus = path.find("+}"); plus != std::string::npos) path.erase(plus, 1);
        out.emplace_back(r.method, std::move(path));
    }
    return out;
}

bool Router::cors_allowed(std::string_view origin) const {
    if (origin.empty()) return false;
    return std::any_of(cors_origins_.begin(), cors_origins_.end(),
                       [&](const std::string& allowed) { return allowed == "*" || allowed == origin; });
}

void Router::add_cors(const Request& request, Response& response) const {
    if (cors_origins_.empty()) return;
    // The answer depends on Origin whenever CORS is on, allowed or not.
    response.headers.emplace_back("Vary", "Origin");
    if (cors_allowed(request.origin)) response.headers.emplace_back("Access-Control-Allow-Origin", request.origin);
}

Router::Admission Router::admit(const Request& request) const {
    Admission admission;
    admission.answer = [&]() -> std::optional<Response> {
        const std::string_view target = request.target;
        const auto qmark = target.find('?');
        const std::string_view raw_path = target.substr(0, qmark);
        if (raw_path.empty() || raw_path.front() != '/')
            return error_response(400, "invalid_path", "request target must be an absolute path");
        auto query = parse_query(qmark == std::string_view::npos ? std::string_view{} : target.substr(qmark + 1));
        if (!query) return error_response(400, "invalid_query", "query string has a malformed percent-escape");

        std::vector<std::string> segments;
        for (auto raw : split(raw_path.substr(1), '/')) {
            auto decoded = percent_decode(raw);
            if (!decoded) return error_response(400, "invalid_path", "path has a malformed percent-escape");
            segments.push_back(std::move(*decoded));
        }

        // RFC 9110 9.3.2: HEAD is GET without the body.
        const std::string_view method = request.method == "HEAD" ? std::string_view("GET") : request.method;
        std::vector<std::string> allowed;
        for (std::size_t index = 0; index < routes_.size(); ++index) {
            const auto& route = routes_[index];
            std::map<std::string, std::string, std::less<>> path;
            std::string tail_error;
            std::size_t i = 0;
            bool matched = true;
            for (const auto& seg : route.segments) {
                if (seg.kind == Segment::literal) {
                    matched = i < segments.size() && segments[i] == seg.text;
                    ++i;
                } else if (seg.kind == Segment::param) {
                    matched = i < segments.size() && !segments[i].empty();
                    if (matched) path[seg.text] = segments[i];
                    ++i;
                } else {
                    matched = i < segments.size();
                    std::string joined;
                    for (std::size_t k = i; k < segments.size(); ++k) {
                        if (segments[k].find('/') != std::string::npos) tail_error = seg.text;
                        if (k > i) joined += '/';
                        joined += segments[k];
                    }
                    path[seg.text] = std::move(joined);
                    i = segments.size();
                }
                if (!matched) break;
            }
            if (!matched || i != segments.size()) continue;
            if (route.method != method) {
                if (std::find(allowed.begin(), allowed.end(), route.method) == allowed.end()) {
                    allowed.push_back(route.method);
                    if (route.method == "GET") allowed.push_back("HEAD");
                }
                continue;
            }
            if (!tail_error.empty())
                return error_response(400, "invalid_" + tail_error,
                                      "'" + tail_error + "' in the path must not contain an encoded '/' (%2F): "
                                      "write each level as its own path segment");
            if (authorizer_) {
                if (auto refused = authorizer_(request, route.pattern, admission.caller)) return std::move(*refused);
            }
            admission.route = index;
            admission.path = std::move(path);
            admission.query = std::move(*query);
            return std::nullopt;
        }
        if (allowed.empty()) {
            if (fallback_) return fallback_(request);
            return error_response(404, "not_found", "no resource at '" + std::string(raw_path) + "'");
        }
        allowed.push_back("OPTIONS");
        if (request.method == "OPTIONS") {
            Response r;
            r.status = 204;
            r.content_type.clear();
            r.headers.emplace_back("Allow", join_methods(allowed));
            if (cors_allowed(request.origin) && !request.access_control_request_method.empty()) {
                r.headers.emplace_back("Access-Control-Allow-Methods", join_methods(allowed));
                r.headers.emplace_back("Access-Control-Allow-Headers", request.access_control_request_headers.empty()
                                                                         ? "Content-Type, Authorization"
                                                                         : request.access_control_request_headers);
                r.headers.emplace_back("Access-Control-Max-Age", "600");
            }
            return r;
        }
        auto r = error_response(405, "method_not_allowed",
                                "method " + request.method + " is not allowed here; allowed: " + join_methods(allowed));
        r.headers.emplace_back("Allow", join_methods(allowed));
        return r;
    }();
    if (admission.answer) add_cors(request, *admission.answer);
    return admission;
}

Router::Started Router::start(const Request& request, Admission admission, Reply later) const {
    Started started;
    if (admission.answer) {
        started.now = std::move(*admission.answer);
        return started;
    }
    const Route& route = routes_[admission.route];
    Call call{request, std::move(admission.path), std::move(admission.query), std::move(admission.caller)};
    if (route.async) {
        // The router outlives every session that calls it; the origin is copied
        // because the request may be gone when the answer comes.
        started.cancel = route.async(call, [this, origin = request.origin, later = std::move(later)](Response response) {
            Request headers;
            headers.origin = origin;
            add_cors(headers, response);
            later(std::move(response));
        });
        return started;
    }
    started.now = route.handler(call);
    add_cors(request, *started.now);
    return started;
}

Response Router::run(const Request& request, Admission admission) const {
    auto answer = std::make_shared<std::optional<Response>>();
    auto started = start(request, std::move(admission), [answer](Response r) { *answer = std::move(r); });
    if (started.now) return std::move(*started.now);
    if (*answer) return std::move(**answer);
    if (started.cancel) started.cancel();
    return error_response(500, "internal_error", "this route answers asynchronously");
}

}  // namespace mqgate::http
