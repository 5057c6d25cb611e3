// Shared pieces of the REST handlers: JSON bodies, paging, timestamps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "http/router.hpp"

namespace mqgate::http {

// Either the parsed body or the 415/400 answer.
struct JsonBody {
    nlohmann::json value;
    std::optional<Response> error;
};
JsonBody read_json_body(const Call& call);

struct Page {
    std::size_t page = 1;
    std::size_t limit = 100;
    std::size_t begin(std::size_t total) const noexcept;
    std::size_t end(std::size_t total) const noexcept;
};
inline constexpr std::size_t max_page_limit = 1000;

// Reads ?page= (>= 1) and ?limit= (1..max_page_limit).
struct PageParams {
    Page page;
    std::optional<Response> error;
};
PageParams read_page(const Call& call, std::size_t default_limit = 100);

// {"data": data, "meta": {"page", "limit", "count": total}}
Response list_response(nlohmann::json data, const Page& page, std::size_t total);

// Optional boolean query parameter ("true"/"false"); error if malformed.
struct BoolParam {
    std::optional<bool> value;
    std::optional<Response> error;
};
BoolParam read_bool(const Call& call, std::string_view name);

// object[key] = RFC 3339 time and object[key + "_ms"] = epoch ms, both null
// when ms is 0 (never happened).
void put_time(nlohmann::json& object, const std::string& key, std::int64_t ms);

}  // namespace mqgate::http
