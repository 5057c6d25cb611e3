// What a "webhooks" entry's values must be (README "Webhooks"): pure checks
// the config reader and webhooks/ share.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace mqgate::config {

// An http:// or https:// URL taken apart for the HTTP client.
struct WebhookUrl {
    bool tls = false;
    std::string host;      // name or IPv4 address; an IPv6 literal without its brackets
    std::uint16_t port = 0;  // 80 / 443 when the URL names none
    std::string target;    // path and query, "/" when empty

    bool operator==(const WebhookUrl&) const = default;
};

// The URL's parts, or nullopt with `why` set: another scheme, no host, a bad
// port, user info, a fragment, or spaces and control characters.
std::optional<WebhookUrl> parse_webhook_url(std::string_view url, std::string& why);

// The event names a webhook may ask for, in the order of the README.
std::span<const std::string_view> webhook_event_names() noexcept;

// The HMAC key of a Standard Webhooks secret "whsec_<base64>": the decoded
// bytes, or nullopt when the prefix is missing, the base64 is bad or the key
// is empty.
std::optional<std::string> decode_webhook_secret(std::string_view secret);

}  // namespace mqgate::config
