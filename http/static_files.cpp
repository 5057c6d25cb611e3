#include "http/static_files.hpp"

#include <algorithm>

namespace mqgate::http {
namespace {

constexpr std::string_view not_found_page = "/404.html";

// The files change with every build, and revalidation costs one round trip
// answered by 304, so browsers always ask.
constexpr std::string_view cache_control = "no-cache";

const StaticFile* find_file(std::string_view path) noexcept {
    const auto files = embedded_files();
    const auto it = std::lower_bound(files.begin(), files.end(), path,
                                     [](const StaticFile& f, std::string_view p) { return f.path < p; });
    return it != files.end() && it->path == path ? &*it : nullptr;
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// RFC 9110 §13.1.2: weak comparison, a list of tags or "*".
bool etag_matches(std::string_view header, std::string_view etag) noexcept {
    while (!header.empty()) {
        const auto comma = header.find(',');
        auto tag = trim(header.substr(0, comma));
        if (tag == "*") return true;
        if (tag.starts_with("W/")) tag.remove_prefix(2);
        if (tag == etag) return true;
        if (comma == std::string_view::npos) break;
        header.remove_prefix(comma + 1);
    }
    return false;
}

void add_common_headers(Response& r) {
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    // The dashboard loads nothing from elsewhere; connect-src 'self' covers
    // the same-origin WebSocket stream.
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; img-src 'self' data:; connect-src 'self'; "
                           "frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
}

Response file_response(int status, const StaticFile& file) {
    Response r;
    r.status = status;
    r.content_type = std::string(file.content_type);
    r.body = std::string(file.body);
    r.headers.emplace_back("Cache-Control", std::string(cache_control));
    add_common_headers(r);
    return r;
}

}  // namespace

Response serve_static_file(const Request& request) {
    std::string_view path = request.target;
    path = path.substr(0, path.find('?'));
    if (path.starts_with("/api/")) return error_response(404, "not_found", "no resource at '" + std::string(path) + "'");

    if (request.method != "GET" && request.method != "HEAD") {
        auto r = error_response(405, "method_not_allowed",
                                "method " + request.method + " is not allowed here; allowed: GET, HEAD");
        r.headers.emplace_back("Allow", "GET, HEAD");
        return r;
    }

    const StaticFile* file = find_file(path == "/" ? std::string_view("/index.html") : path);
    if (!file) {
        if (const StaticFile* page = find_file(not_found_page)) return file_response(404, *page);
        return error_response(404, "not_found", "no resource at '" + std::string(path) + "'");
    }
    if (!request.if_none_match.empty() && etag_matches(request.if_none_match, file->etag)) {
        Response r;
        r.status = 304;
        r.content_type.clear();
        r.headers.emplace_back("ETag", std::string(file->etag));
        r.headers.emplace_back("Cache-Control", std::string(cache_control));
        return r;
    }
    auto r = file_response(200, *file);
    r.headers.emplace_back("ETag", std::string(file->etag));
    return r;
}

}  // namespace mqgate::http
