#include "control/correlation.hpp"

#include <nlohmann/json.hpp>

namespace mqgate::control {
namespace {

nlohmann::json parse_object(std::string_view payload) {
    auto value = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
    return value.is_object() ? value : nlohmann::json();
}

}  // namespace

std::string substitute(std::string_view pattern, std::string_view request_id, std::string_view client_id) {
    static constexpr std::string_view request_placeholder = "{request_id}";
    static constexpr std::string_view client_placeholder = "{clientid}";
    std::string out;
    out.reserve(pattern.size() + request_id.size());
    // One pass: a client id that itself contains "{request_id}" stays as it is.
    for (std::size_t i = 0; i < pattern.size();) {
        const auto rest = pattern.substr(i);
        if (rest.starts_with(request_placeholder)) {
            out += request_id;
            i += request_placeholder.size();
        } else if (rest.starts_with(client_placeholder)) {
            out += client_id;
            i += client_placeholder.size();
        } else {
            out += pattern[i++];
        }
    }
    return out;
}

bool has_placeholder(std::string_view pattern, std::string_view placeholder) noexcept {
    return pattern.find(placeholder) != std::string_view::npos;
}

std::optional<std::string> put_correlation(std::string_view payload, const std::string& key, const std::string& id) {
    auto object = parse_object(payload);
    if (object.is_null()) return std::nullopt;
    object[key] = id;
    return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool reply_matches(std::string_view payload, const std::string& key, const std::string& id) {
    const auto object = parse_object(payload);
    if (object.is_null()) return false;
    const auto it = object.find(key);
    return it != object.end() && it->is_string() && it->get_ref<const std::string&>() == id;
}

}  // namespace mqgate::control
