// How a device's reply is tied to the request it answers (issue 14): pure
// functions over topics and payloads, so they are testable without a broker.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mqgate::control {

// `pattern` with every "{request_id}" and "{clientid}" replaced.
std::string substitute(std::string_view pattern, std::string_view request_id, std::string_view client_id);

// Does `pattern` hold `placeholder` ("{request_id}", "{clientid}")?
bool has_placeholder(std::string_view pattern, std::string_view placeholder) noexcept;

// "payload:<key>" correlation: the JSON object `payload` with `key` set to
// `id` (replacing what was there); nullopt when `payload` is not a JSON object.
std::optional<std::string> put_correlation(std::string_view payload, const std::string& key, const std::string& id);

// Is `payload` a JSON object whose `key` is the string `id`?
bool reply_matches(std::string_view payload, const std::string& key, const std::string& id);

}  // namespace mqgate::control
