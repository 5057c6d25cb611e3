#include "http/api_util.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "events/event_json.hpp"
#include "support/json_check.hpp"

namespace mqgate::http {
namespace {

bool is_json_media_type(std::string_view content_type) {
    const auto semicolon = content_type.find(';');
    auto type = content_type.substr(0, semicolon);
    while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
    constexpr std::string_view json = "application/json";
    return type.size() == json.size() && std::equal(type.begin(), type.end(), json.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) == b;
           });
}

std::optional<std::size_t> parse_size(std::string_view text) {
    std::size_t value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || ptr != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

}  // namespace

JsonBody read_json_body(const Call& call) {
    JsonBody body;
    if (!is_json_media_type(call.request.content_type)) {
        body.error = error_response(415, "unsupported_media_type", "Content-Type must be application/json");
        return body;
    }
    if (auto defect = json_check::check(call.request.body)) {
        body.error = error_response(400, "invalid_json", "request body is not valid JSON: " + defect->message);
        return body;
    }
    body.value = nlohmann::json::parse(call.request.body, nullptr, false);
    return body;
}

std::size_t Page::begin(std::size_t total) const noexcept {
    // Guard the multiplication: page and limit come from the query string.
    if (page - 1 > total / limit) return total;
    return std::min(total, (page - 1) * limit);
}

std::size_t Page::end(std::size_t total) const noexcept { return std::min(total, begin(total) + limit); }

PageParams read_page(const Call& call, std::size_t default_limit) {
    PageParams p;
    p.page.limit = default_limit;
    if (const auto* page = call.query_param("page")) {
        const auto v = parse_size(*page);
        if (!v || *v < 1) {
            p.error = error_response(400, "invalid_page", "'page' must be an integer >= 1");
            return p;
        }
        p.page.page = *v;
    }
    if (const auto* limit = call.query_param("limit")) {
        const auto v = parse_size(*limit);
        if (!v || *v < 1 || *v > max_page_limit) {
            p.error = error_response(400, "invalid_limit",
                                     "'limit' must be an integer from 1 to " + std::to_string(max_page_limit));
            return p;
        }
        p.page.limit = *v;
    }
    return p;
}

Response list_response(nlohmann::json data, const Page& page, std::size_t total) {
    return json_response(200, {{"data", std::move(data)},
                               {"meta", {{"page", page.page}, {"limit", page.limit}, {"count", total}}}});
}

BoolParam read_bool(const Call& call, std::string_view name) {
    BoolParam b;
    if (const auto* v = call.query_param(name)) {
        if (*v == "true") {
            b.value = true;
        } else if (*v == "false") {
            b.value = false;
        } else {
            b.error = error_response(400, "invalid_" + std::string(name),
                                     "'" + std::string(name) + "' must be true or false");
        }
    }
    return b;
}

void put_time(nlohmann::json& object, const std::string& key, std::int64_t ms) {
    if (ms == 0) {
        object[key] = nullptr;
        object[key + "_ms"] = nullptr;
    } else {
        object[key] = events::rfc3339_utc(ms);
        object[key + "_ms"] = ms;
    }
}

}  // namespace mqgate::http
